import { defaultSagaDeadlineMarginMs, sagaDeadlineOf, tooLateToStart } from '#shared/saga-deadline';
import { decide, rejection, type InventoryEvent } from './reservation';
import type { Clock, ReservationRepository } from './ports';

/** Retryable: the message goes back to SQS instead of being acknowledged on a state we could not pin down. */
export class ReservationContentionError extends Error {
  override readonly name = 'ReservationContentionError';
  constructor(orderId: string) {
    super(`the reservation of order ${orderId} changed under every decision made for it`);
  }
}

/**
 * Applies OrderPlaced or OrderCancelled to the order's reservation.
 *
 * Primary course:
 * 1. Read the reservation (none yet for a new order) and decide.
 * 2. OrderPlaced: in one transaction take the stock, write the HELD reservation and InventoryReserved.
 *    OrderCancelled: in one transaction release the HELD reservation, give the stock back and write InventoryReleased.
 * Alternatives: not enough stock, so a REJECTED reservation and InventoryRejected
 * are written instead; past the saga deadline minus the margin nothing is
 * reserved (the order's cancellation voids it when it arrives); a cancellation that arrives before its order writes a
 * VOID reservation, so the late OrderPlaced is ignored. Every write is
 * conditional; when another delivery wrote first, the decision is made again
 * on the fresh state (which then says ignore, or release what was just held).
 */
export async function applyOrderEvent(event: InventoryEvent, ports: { reservations: ReservationRepository; clock: Clock; sagaDeadlineMarginMs?: number }): Promise<string> {
  const orderId = event.data.orderId;
  const cause = { correlationId: orderId, causationId: event.metadata.eventId, deadline: sagaDeadlineOf(event) };
  // A failed conditional write means the row moved, and a row moves at most
  // twice (created, then released), so the third read finds a state to ignore.
  for (let attempt = 0; attempt < 3; attempt++) {
    const reservation = await ports.reservations.get(orderId);
    const decision = decide(reservation, event, ports.clock.now());
    switch (decision.kind) {
      case 'ignore':
        return `ignored ${event.metadata.type}: ${decision.why}`;
      case 'reserve': {
        // The order is about to be cancelled for its deadline: stock held now would only be released again.
        if (tooLateToStart(event, ports.clock.now(), ports.sagaDeadlineMarginMs ?? defaultSagaDeadlineMarginMs)) return 'ignored OrderPlaced: past its saga deadline minus the margin, the order is being cancelled: nothing reserved';
        const result = await ports.reservations.reserve(decision.reservation, decision.events, cause);
        if (result.kind === 'reserved') return 'reserved';
        if (result.kind === 'exists') continue;
        const rejected = rejection(decision.placed, result.skus, ports.clock.now());
        if (await ports.reservations.record(rejected.reservation, rejected.events, cause)) return `rejected: ${result.skus.join(', ')} unavailable`;
        continue;
      }
      case 'void':
        if (await ports.reservations.record(decision.reservation, [], cause)) return 'voided: cancelled before placed';
        continue;
      case 'release':
        if (await ports.reservations.release(decision.reservation, decision.entry, decision.events, cause)) return 'released';
        continue;
    }
  }
  // Unreachable with today's moves. Should a new move make it reachable,
  // acknowledging the message could leave a cancelled order holding stock.
  throw new ReservationContentionError(orderId);
}
