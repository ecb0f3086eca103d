import type { Controls } from '#shared/controls';
import { decideShedding, type ShedDecision } from '#shared/resilience/load-shedding';
import { activeResilienceProfile, type InvalidResilienceProfileError } from '#shared/resilience/profiles';

export interface ApiLoadSheddingDeps {
  /** The region's control document (cached): its resilience profile says whether to shed, and may override the limit. */
  controls(): Promise<Controls>;
  /** The cached backlog (orders in flight), counted up to the given limit; undefined when it could not be read. */
  backlog(atLeast: number): Promise<number | undefined>;
  /** The deployed limit (LOAD_SHED_MAX_IN_FLIGHT). */
  maxInFlight: number;
  onInvalidProfile?(error: InvalidResilienceProfileError): void;
}

/**
 * Whether POST /orders should refuse new work now: only under a profile that
 * sheds (`bulkhead`, `full`: the default), when the orders in flight have
 * reached the limit. Profiles without shedding read no backlog at all.
 */
export function apiLoadShedding(deps: ApiLoadSheddingDeps): () => Promise<ShedDecision> {
  return async () => {
    const { resilienceProfile } = await deps.controls();
    const { loadShedding } = activeResilienceProfile(resilienceProfile, deps.onInvalidProfile ? { onInvalid: deps.onInvalidProfile } : {});
    return decideShedding(deps.backlog, loadShedding && { maxBacklog: loadShedding.maxBacklog ?? deps.maxInFlight, retryAfterSeconds: loadShedding.retryAfterSeconds });
  };
}
