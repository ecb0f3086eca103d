import { optionalWholeNumber } from './config';

/**
 * The saga deadline as every participant reads it (docs/resilience.md,
 * "Deadline-aware participants"). Orders cancels a still-PENDING order at its
 * deadline, never before; a participant therefore never starts a side effect
 * that could complete after `deadline − margin`. The margin covers two things
 * at once: the longest a provider may take to act on a request it has
 * received (the caller abandons its request at `deadline − margin`, but the
 * provider may still be working on it; the simulator's cap is 9 s, its
 * `maxLatencyMs`) and the clock skew between the clocks involved (Lambda
 * hosts, the provider; assumed ≤ 1 s, which Amazon Time Sync keeps with room
 * to spare). So with the default of 10 s, every authorization exists before
 * the order can be cancelled for its deadline: "authorized after the
 * cancellation" cannot happen while provider lag plus skew stay under it.
 * Set `SAGA_DEADLINE_MARGIN_MS` for a provider that can take longer.
 */
export const defaultSagaDeadlineMarginMs = 10_000;

/** The margin a function runs with: `SAGA_DEADLINE_MARGIN_MS`, read once at load. */
export const sagaDeadlineMarginMs = (): number => optionalWholeNumber('SAGA_DEADLINE_MARGIN_MS', defaultSagaDeadlineMarginMs, { unit: 'milliseconds' });

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
