/**
 * The saga deadline as every participant reads it (docs/resilience.md,
 * "Deadline-aware participants"). Orders cancels a still-PENDING order at its
 * deadline; a participant therefore never starts a side effect that could
 * complete after `deadline − margin`. The margin covers two things at once:
 * the clock skew between any two clocks involved (Lambda hosts, the provider;
 * assumed ≤ 1 s, which Amazon Time Sync keeps with room to spare) and the time
 * a provider may still take to act on a request the caller already abandoned.
 * With the default of 5 s, an authorization is created at least ~4 s before
 * the order can be cancelled for its deadline, so "authorized after the
 * cancellation" cannot happen while skew plus provider lag stay under 5 s.
 */
export const defaultSagaDeadlineMarginMs = 5_000;

/** What a participant needs of an event: the metadata's deadline, or (for OrderPlaced and OrderTimedOut) the data's. */
export interface SagaEventLike {
  metadata: { deadline?: string | undefined };
  data: object;
}

/** The order's deadline as carried by the event, or undefined for an event written before events carried it. */
export function sagaDeadlineOf(event: SagaEventLike): string | undefined {
  if (event.metadata.deadline) return event.metadata.deadline;
  const fromData = (event.data as { deadline?: unknown }).deadline;
  return typeof fromData === 'string' ? fromData : undefined;
}

/** The last moment (epoch ms) at which a side effect for the order may still complete; undefined when the event carries no deadline. */
export function lastMomentForSideEffects(event: SagaEventLike, marginMs: number): number | undefined {
  const deadline = sagaDeadlineOf(event);
  if (deadline === undefined) return undefined;
  const at = Date.parse(deadline);
  return Number.isNaN(at) ? undefined : at - marginMs;
}

/** True when it is too late to start a side effect for the event's order: it could complete after its deadline minus the margin. */
export function tooLateToStart(event: SagaEventLike, now: Date, marginMs: number): boolean {
  const last = lastMomentForSideEffects(event, marginMs);
  return last !== undefined && now.getTime() >= last;
}
