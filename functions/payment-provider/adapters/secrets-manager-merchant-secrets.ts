import { cachedSecret, type CachedSecret } from '#shared/secret';
import type { MerchantSecrets } from '../domain/merchant-auth';

export interface SecretsManagerMerchantSecretsOptions {
  /** The AWSCURRENT stage. @default cachedSecret(secretId, 30 s) */
  current?: CachedSecret;
  /** The AWSPENDING stage, present only during a rotation. @default cachedSecret(secretId, AWSPENDING, 30 s) */
  pending?: CachedSecret;
  /** A refresh reads the store at most this often, so a stream of wrong secrets cannot turn into a stream of GetSecretValue calls. @default 5000 */
  minRefreshIntervalMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The simulator's accepted secrets: the secret's AWSCURRENT and AWSPENDING
 * stages (runbooks/provider-secret-rotation.md), each read through its own
 * Powertools provider (its cache is keyed on the name alone) and kept 30 s.
 */
export function secretsManagerMerchantSecrets(secretId: string, options: SecretsManagerMerchantSecretsOptions = {}): MerchantSecrets {
  const current = options.current ?? cachedSecret(secretId, { maxAgeSeconds: 30 });
  const pending = options.pending ?? cachedSecret(secretId, { maxAgeSeconds: 30, versionStage: 'AWSPENDING' });
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? 5_000;
  const now = options.now ?? Date.now;
  let lastRefresh = Number.NEGATIVE_INFINITY;
  return {
    async accepted({ refresh = false } = {}) {
      const force = refresh && now() - lastRefresh >= minRefreshIntervalMs;
      if (force) lastRefresh = now();
      const values = await Promise.all([current.value({ refresh: force }), pending.value({ refresh: force })]);
      return values.filter((value): value is string => value !== undefined);
    },
  };
}
