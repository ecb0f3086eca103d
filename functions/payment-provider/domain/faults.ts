import type { ProviderFaults } from '#contracts/controls';

/**
 * What the simulated provider does wrong to one merchant request, rolled from
 * the operator's fault settings (`duckstore faults provider`, docs/faults.md).
 * Each rate is rolled on its own per request, as a real provider's failures are.
 */
export interface ProviderFaultPlan {
  /** Refuse the request at once: 503, nothing processed. */
  outage: boolean;
  /** Added before anything else happens. */
  latencyMs: number;
  /** Fail before processing: 500, nothing charged, retry with the same key. */
  error: boolean;
  /** Process the request (charge), then answer only after the caller has given up. */
  timeout: boolean;
  /** Decline an authorization whatever its amount. */
  decline: boolean;
}

/**
 * How long a "timed out" request hangs before it answers: longer than the
 * payments client's per-call timeout (3 s by default), shorter than the
 * simulator function's own 10 s, so the answer does come, too late.
 */
export const timeoutHangMs = 8_000;

/** Latency above this would exceed the simulator function's timeout; it is capped so the request still ends in an answer. */
export const maxLatencyMs = 9_000;

export const noProviderFault: ProviderFaultPlan = { outage: false, latencyMs: 0, error: false, timeout: false, decline: false };

const roll = (rate: number | undefined, random: () => number): boolean => rate !== undefined && rate > 0 && random() < rate;

export function planProviderFaults(faults: ProviderFaults, random: () => number = Math.random): ProviderFaultPlan {
  if (faults.outage) return { ...noProviderFault, outage: true };
  const error = roll(faults.errorRate, random);
  return {
    outage: false,
    latencyMs: Math.min(faults.latencyMs ?? 0, maxLatencyMs),
    error,
    // An errored request is not processed, so it cannot also time out or be declined.
    timeout: !error && roll(faults.timeoutRate, random),
    decline: !error && roll(faults.declineRate, random),
  };
}
