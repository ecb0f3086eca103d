/**
 * When SQS delivers a message again after a failed receive. Without this, a
 * record that fails (a crash, a refused provider call, a duplicate still in
 * progress) stays invisible for the queue's whole visibility timeout: 6 × the
 * function timeout, 66 s for a consumer. That is one retry per minute, so a
 * one-off failure costs a minute of saga latency (locally, more than the 30 s
 * saga deadline), while five receives of a real outage still pass in 5.5 min.
 *
 * Exponential backoff fixes both ends: the first retry comes within seconds,
 * later ones ever further apart, and the five receives before the DLQ still
 * span a few minutes (failure n waits `firstSeconds · 4^(n−1)`, at most
 * `maxSeconds`, with equal jitter so the messages of one outage do not all
 * come back together).
 */
export interface RedeliveryBackoff {
  firstSeconds: number;
  maxSeconds: number;
  /**
   * Added to every delay: what a failure is known to need first, e.g. the rest
   * of an open circuit breaker's cooldown (a message redelivered before it ends
   * is refused again and spends one of its receives for nothing).
   */
  notBeforeSeconds?: number;
}

/** 1–2 s, 4–8 s, 16–32 s, then 60–120 s each: 2.4–4.7 min over a consumer's 5 receives, 7–15 min over a forwarder's 10. */
export const defaultRedeliveryBackoff: RedeliveryBackoff = { firstSeconds: 2, maxSeconds: 120 };

/** SQS's limit on a message's visibility timeout. */
const maxVisibilitySeconds = 12 * 60 * 60;

/**
 * Whole seconds before a message whose `receiveCount`-th receive failed is
 * delivered again: `notBeforeSeconds` plus a random value in [d/2, d] for
 * d = min(max, first · 4^(n−1)), at least 1 (0 would hand it straight back). Pure.
 */
export function redeliveryDelaySeconds(receiveCount: number, backoff: RedeliveryBackoff, random: () => number = Math.random): number {
  const failures = Math.max(1, Math.floor(receiveCount));
  const ceiling = Math.min(backoff.maxSeconds, maxVisibilitySeconds, backoff.firstSeconds * 4 ** (failures - 1));
  const notBefore = Math.min(maxVisibilitySeconds, Math.max(0, Math.ceil(backoff.notBeforeSeconds ?? 0)));
  return Math.min(maxVisibilitySeconds, notBefore + Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2)));
}
