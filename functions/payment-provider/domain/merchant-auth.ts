import { createHash, timingSafeEqual } from 'node:crypto';

/** The merchant secrets the provider accepts. */
export interface MerchantSecrets {
  /**
   * The current secret and, during a rotation, the pending one. `refresh`
   * asks for them again past any cache (a request presented a secret that
   * matched none: it may be the one just rotated in); an adapter may bound how often that reads the store.
   */
  accepted(options?: { refresh?: boolean }): Promise<readonly string[]>;
}

export type MerchantAuthentication = 'valid' | 'missing' | 'invalid';

/** The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive, RFC 9110); undefined for anything else. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization ?? '');
  return match?.[1];
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether `presented` is one of `accepted`, in time that does not depend on
 * how much of it matches: both sides are hashed to 32 bytes first (so
 * timingSafeEqual compares equal lengths and the length of a secret leaks
 * nothing), and every accepted secret is compared, a match or not.
 */
export function secretMatches(presented: string, accepted: readonly string[]): boolean {
  const presentedDigest = digest(presented);
  let matched = false;
  for (const secret of accepted) matched = timingSafeEqual(presentedDigest, digest(secret)) || matched;
  return matched;
}

/**
 * Primary course: 1. take the bearer token (none: missing); 2. compare it
 * with the accepted secrets; 3. no match: read them once more, past the
 * cache, and compare again (a secret rotated since the last read).
 */
export async function authenticateMerchant(authorization: string | undefined, secrets: MerchantSecrets): Promise<MerchantAuthentication> {
  const token = bearerTokenOf(authorization);
  if (token === undefined) return 'missing';
  if (secretMatches(token, await secrets.accepted())) return 'valid';
  return secretMatches(token, await secrets.accepted({ refresh: true })) ? 'valid' : 'invalid';
}
