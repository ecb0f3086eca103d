import { InventoryRejected, InventoryReleased, InventoryReserved, type OrderCancelled, type OrderPlaced } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
import { emit, type PendingEvent } from '#shared/outbox';

export const reservationStatuses = ['HELD', 'REJECTED', 'RELEASED', 'VOID'] as const;
/**
 * HELD takes stock; the others hold none. VOID marks an order cancelled before
 * its OrderPlaced arrived, so that a late OrderPlaced never reserves for it.
 */
export type ReservationStatus = (typeof reservationStatuses)[number];

export interface ReservationLine {
  sku: string;
  quantity: number;
}

export interface HistoryEntry {
  status: ReservationStatus;
  at: string;
  /** The event type that moved the reservation. */
  reason: string;
  eventId: string;
}

export interface Reservation {
  orderId: string;
  status: ReservationStatus;
  /** Empty for a VOID reservation: OrderCancelled does not carry the lines. */
  lines: ReservationLine[];
  updatedAt: string;
  history?: HistoryEntry[];
}

export type OrderPlacedEvent = EventDetail<typeof OrderPlaced>;
export type OrderCancelledEvent = EventDetail<typeof OrderCancelled>;
export type InventoryEvent = OrderPlacedEvent | OrderCancelledEvent;

export const isOrderPlaced = (event: InventoryEvent): event is OrderPlacedEvent => event.metadata.type === 'OrderPlaced';

export type Decision =
  | { kind: 'reserve'; placed: OrderPlacedEvent; reservation: Reservation; events: PendingEvent[] }
  | { kind: 'release'; reservation: Reservation; entry: HistoryEntry; events: PendingEvent[] }
  | { kind: 'void'; reservation: Reservation }
  | { kind: 'ignore'; why: string };

/**
 * A reservation holds quantities, not prices. The OrderPlaced contract lists
 * each SKU once, which one transaction needs: it cannot touch a SKU row twice.
 */
export const reservationLines = (lines: readonly ReservationLine[]): ReservationLine[] => lines.map(({ sku, quantity }) => ({ sku, quantity }));

const newReservation = (orderId: string, status: ReservationStatus, lines: ReservationLine[], event: InventoryEvent, at: string): Reservation => ({
  orderId,
  status,
  lines,
  updatedAt: at,
  history: [{ status, at, reason: event.metadata.type, eventId: event.metadata.eventId }],
});

/**
 * The reservation's state machine. An order gets exactly one reservation row,
 * whatever arrives first; after that only HELD moves (to RELEASED, on
 * cancellation). Duplicates and late events are ignored.
 */
export function decide(reservation: Reservation | undefined, event: InventoryEvent, now: Date): Decision {
  const at = now.toISOString();
  if (isOrderPlaced(event)) {
    if (reservation) return { kind: 'ignore', why: `reservation is already ${reservation.status}` };
    const { orderId, customerId, total } = event.data;
    const lines = reservationLines(event.data.lines);
    return {
      kind: 'reserve',
      placed: event,
      reservation: newReservation(orderId, 'HELD', lines, event, at),
      events: [emit(InventoryReserved, { orderId, customerId, lines, total })],
    };
  }
  if (!reservation) return { kind: 'void', reservation: newReservation(event.data.orderId, 'VOID', [], event, at) };
  if (reservation.status !== 'HELD') return { kind: 'ignore', why: `reservation is already ${reservation.status}` };
  return {
    kind: 'release',
    reservation,
    entry: { status: 'RELEASED', at, reason: event.metadata.type, eventId: event.metadata.eventId },
    events: [emit(InventoryReleased, { orderId: reservation.orderId, lines: reservation.lines })],
  };
}

/** What to record when a reservation failed for lack of stock: nothing is held, the listed lines are reported. */
export function rejection(event: OrderPlacedEvent, unavailableSkus: readonly string[], now: Date): { reservation: Reservation; events: PendingEvent[] } {
  const lines = reservationLines(event.data.lines);
  const unavailable = lines.filter((line) => unavailableSkus.includes(line.sku)).map(({ sku, quantity }) => ({ sku, requested: quantity }));
  if (unavailable.length === 0) throw new RangeError(`none of ${unavailableSkus.join(', ')} is a line of order ${event.data.orderId}`);
  return {
    reservation: newReservation(event.data.orderId, 'REJECTED', lines, event, now.toISOString()),
    events: [emit(InventoryRejected, { orderId: event.data.orderId, unavailable })],
  };
}
