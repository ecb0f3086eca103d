import type { BaseProvider } from '@aws-lambda-powertools/parameters/base';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { secretsManager } from './aws-clients';

/** A secret read through a Powertools parameter provider, cached; only its id is ever in the environment. */
export interface CachedSecret {
  /**
   * The value, or undefined when the secret (or its version stage) does not
   * exist. `refresh` skips the cache (Powertools `forceFetch`): the other
   * side refused the value, so it may have been rotated.
   */
  value(options?: { refresh?: boolean }): Promise<string | undefined>;
}

export interface CachedSecretOptions {
  /** @default a Powertools SecretsProvider over the traced Secrets Manager client of the function's region */
  provider?: Pick<BaseProvider, 'get'>;
  /** How long a value (or its absence) is kept before it is read again. @default 300 */
  maxAgeSeconds?: number;
  /** The version stage to read. @default AWSCURRENT */
  versionStage?: string;
  /** @default Date.now */
  now?: () => number;
}

/** Thrown when a secret cannot be read (no permission, throttled, unreachable); never carries the value. */
export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

const isNotFound = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ResourceNotFoundException' || (error.cause instanceof Error && error.cause.name === 'ResourceNotFoundException'));

/**
 * One version stage of one secret. Powertools caches a value (its cache key
 * is the name alone, so read another stage of the same secret through another
 * provider); an absent stage is remembered here for the same time, so a
 * missing AWSPENDING costs one GetSecretValue per `maxAgeSeconds`, not one per request.
 */
export function cachedSecret(secretId: string, options: CachedSecretOptions = {}): CachedSecret {
  const provider = options.provider ?? new SecretsProvider({ awsSdkV3Client: secretsManager() });
  const maxAge = options.maxAgeSeconds ?? 300;
  const now = options.now ?? Date.now;
  const sdkOptions = options.versionStage ? { VersionStage: options.versionStage } : undefined;
  let absentUntil = 0;
  return {
    async value({ refresh = false } = {}) {
      if (!refresh && now() < absentUntil) return undefined;
      try {
        const value = await provider.get(secretId, { maxAge, forceFetch: refresh, ...(sdkOptions ? { sdkOptions } : {}) });
        if (typeof value !== 'string' || value === '') throw new SecretUnavailableError(`secret ${secretId} has no SecretString`);
        absentUntil = 0;
        return value;
      } catch (error) {
        if (isNotFound(error)) {
          absentUntil = now() + maxAge * 1000;
          return undefined;
        }
        if (error instanceof SecretUnavailableError) throw error;
        // The SDK's message names the secret and the reason, never the value.
        throw new SecretUnavailableError(`secret ${secretId}${options.versionStage ? ` (${options.versionStage})` : ''} could not be read: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
