import type { Controls } from '#shared/controls';
import { decideShedding, type AdmissionReaders, type AdmissionSettings, type ShedDecision } from '#shared/resilience/load-shedding';
import { activeResilienceProfile, type InvalidResilienceProfileError } from '#shared/resilience/profiles';

export interface ApiLoadSheddingDeps extends AdmissionReaders {
  /** The region's control document (cached): its resilience profile says whether to shed, and may override the limit. */
  controls(): Promise<Controls>;
  /** The saga deadline new orders get now, in seconds (the deployed one or the controls' override). */
  sagaDeadlineSeconds(): Promise<number>;
  /** The deployed settings: the in-flight limit (LOAD_SHED_MAX_IN_FLIGHT), the margin, the budget fraction, the quorum, the Retry-After cap. */
  settings: Omit<AdmissionSettings, 'retryAfterSeconds' | 'sagaDeadlineMs'>;
  now(): number;
  onInvalidProfile?(error: InvalidResilienceProfileError): void;
}

/**
 * Whether POST /orders should refuse new work now: only under a profile that
 * sheds (`bulkhead`, `full`: the default), when one of the admission signals
 * says the system cannot finish a new order in time. Profiles without
 * shedding read no signal at all.
 */
export function apiLoadShedding(deps: ApiLoadSheddingDeps): () => Promise<ShedDecision> {
  return async () => {
    const { resilienceProfile } = await deps.controls();
    const { loadShedding } = activeResilienceProfile(resilienceProfile, deps.onInvalidProfile ? { onInvalid: deps.onInvalidProfile } : {});
    if (!loadShedding) return { shed: false };
    const settings: AdmissionSettings = {
      ...deps.settings,
      maxInFlight: loadShedding.maxBacklog ?? deps.settings.maxInFlight,
      retryAfterSeconds: loadShedding.retryAfterSeconds,
      sagaDeadlineMs: (await deps.sagaDeadlineSeconds()) * 1000,
    };
    return decideShedding(deps, settings, deps.now());
  };
}
