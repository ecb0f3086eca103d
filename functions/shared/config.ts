/** Thrown at module load when the function is deployed without a setting it needs. */
export class MissingConfigurationError extends Error {
  override readonly name = 'MissingConfigurationError';
  constructor(variable: string) {
    super(`environment variable ${variable} is not set; the CDK construct that deploys this function must set it`);
  }
}

/** Thrown at module load when a setting is present but unusable, so the deploy that set it fails its first invocation. */
export class InvalidConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';
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

/** A whole-number setting the deploy must provide; fails fast, naming the variable, when it is missing or not a whole number. */
export function requireWholeNumber(variable: string, spec: { unit: string; positive?: boolean }): number {
  requireEnv(variable);
  return optionalWholeNumber(variable, 0, spec);
}

/**
 * A whole-number setting (a timeout, a limit), or `fallback` when unset. A
 * value that is not a safe integer, or is negative (zero too, when `positive`),
 * fails fast instead of becoming NaN or a timeout of zero somewhere downstream.
 */
export function optionalWholeNumber(variable: string, fallback: number, spec: { unit: string; positive?: boolean }): number {
  const raw = optionalEnv(variable, String(fallback));
  const value = Number(raw);
  const least = spec.positive ? 1 : 0;
  if (!Number.isSafeInteger(value) || value < least) {
    throw new InvalidConfigurationError(`environment variable ${variable} must be a ${spec.positive ? 'positive ' : ''}whole number of ${spec.unit} (got "${raw}")`);
  }
  return value;
}
