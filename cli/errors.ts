import type { Target } from './targets';

/** The target did not answer at all (connection refused, DNS, no credentials). */
export class TargetUnreachableError extends Error {
  override readonly name = 'TargetUnreachableError';
  constructor(target: Target, region: string, cause: unknown) {
    super(`cannot reach target "${target.name}" in ${region} (${(cause as Error).message}); ${target.unreachableHint}`, { cause });
  }
}

export class NotDeployedError extends Error {
  override readonly name = 'NotDeployedError';
}

const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'CredentialsProviderError']);

/** True for an error that means "nobody answered", as opposed to an answer we did not like. */
export function isUnreachable(error: unknown): boolean {
  const candidate = error as { code?: string; name?: string; cause?: unknown; errors?: unknown[] };
  if (unreachableCodes.has(candidate.code ?? '') || unreachableCodes.has(candidate.name ?? '')) return true;
  if (candidate.name === 'TypeError' && /fetch failed/.test(String((error as Error).message))) return true;
  if (Array.isArray(candidate.errors) && candidate.errors.some(isUnreachable)) return true;
  return candidate.cause !== undefined && candidate.cause !== error && isUnreachable(candidate.cause);
}
