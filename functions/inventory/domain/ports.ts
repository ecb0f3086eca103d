import type { Causation, PendingEvent } from '#shared/outbox';
import type { HistoryEntry, Reservation } from './reservation';

export type ReserveResult =
  | { kind: 'reserved' }
  /** At least one SKU had less available than requested (or is not stocked); nothing was written. */
  | { kind: 'unavailable'; skus: string[] }
  /** The order already has a reservation row, written concurrently; nothing was written. */
  | { kind: 'exists' };

export interface ReservationRepository {
  get(orderId: string): Promise<Reservation | undefined>;
  /** Takes every line from its SKU's available stock, writes the HELD reservation and its outbox rows, all or nothing. */
  reserve(reservation: Reservation, events: PendingEvent[], cause: Causation): Promise<ReserveResult>;
  /** Writes a reservation that holds no stock (REJECTED, VOID) and its outbox rows; false if the order already has one. */
  record(reservation: Reservation, events: PendingEvent[], cause: Causation): Promise<boolean>;
  /** Moves a HELD reservation to RELEASED, gives its lines back to stock and writes the outbox rows atomically; false if it was no longer HELD. */
  release(reservation: Reservation, entry: HistoryEntry, events: PendingEvent[], cause: Causation): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}
