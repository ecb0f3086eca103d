/** Thrown at module load when the function is deployed without a setting it needs. */
export class MissingConfigurationError extends Error {
  override readonly name = 'MissingConfigurationError';
  constructor(variable: string) {
    super(`environment variable ${variable} is not set; the CDK construct that deploys this function must set it`);
  }
}

/** Read once at module load, so a misconfigured function fails its first invocation loudly, not its hundredth. */
export function requireEnv(variable: string): string {
  const value = process.env[variable];
  if (value === undefined || value === '') throw new MissingConfigurationError(variable);
  return value;
}

export function optionalEnv(variable: string, fallback: string): string {
  const value = process.env[variable];
  return value === undefined || value === '' ? fallback : value;
}
