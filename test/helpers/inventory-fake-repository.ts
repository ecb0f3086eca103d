import type { EventDetail } from '#contracts/envelope';
import { outboxRow, type Causation, type PendingEvent } from '#shared/outbox';
import type { Clock, ReservationRepository } from '../../functions/inventory/domain/ports';
import type { Reservation } from '../../functions/inventory/domain/reservation';

export interface EmittedEvent {
  detailType: string;
  detail: EventDetail<PendingEvent['contract']>;
  cause: Causation;
}

export interface InMemoryInventory {
  repository: ReservationRepository;
  /** SKU → available. A SKU absent from the map has no row. */
  stock: Map<string, number>;
  reservations: Map<string, Reservation>;
  /** Outbox rows in commit order, built and validated by the real outbox code. */
  outbox: EmittedEvent[];
}

export const fixedClock = (at = '2025-01-01T12:00:05.000Z'): Clock => ({ now: () => new Date(at) });

/**
 * A repository that enforces the conditions of the DynamoDB adapter, all or
 * nothing per call, and hands out copies as a database would.
 */
export function inMemoryInventory(initialStock: Record<string, number> = {}): InMemoryInventory {
  const stock = new Map(Object.entries(initialStock));
  const reservations = new Map<string, Reservation>();
  const outbox: EmittedEvent[] = [];
  const clock = fixedClock();

  const append = (events: PendingEvent[], cause: Causation) => {
    for (const event of events) {
      const row = outboxRow(event, cause, { region: 'us-east-1', now: clock.now });
      outbox.push({ detailType: row.detailType, detail: JSON.parse(row.detail) as EmittedEvent['detail'], cause });
    }
  };

  const repository: ReservationRepository = {
    async get(orderId) {
      const reservation = reservations.get(orderId);
      return reservation && structuredClone(reservation);
    },

    async reserve(reservation, events, cause) {
      if (reservations.has(reservation.orderId)) return { kind: 'exists' };
      const skus = reservation.lines.filter((line) => (stock.get(line.sku) ?? -Infinity) < line.quantity).map((line) => line.sku);
      if (skus.length > 0) return { kind: 'unavailable', skus };
      for (const line of reservation.lines) stock.set(line.sku, stock.get(line.sku)! - line.quantity);
      reservations.set(reservation.orderId, structuredClone(reservation));
      append(events, cause);
      return { kind: 'reserved' };
    },

    async record(reservation, events, cause) {
      if (reservations.has(reservation.orderId)) return false;
      reservations.set(reservation.orderId, structuredClone(reservation));
      append(events, cause);
      return true;
    },

    async release(reservation, entry, events, cause) {
      const current = reservations.get(reservation.orderId);
      if (current?.status !== 'HELD') return false;
      for (const line of reservation.lines) stock.set(line.sku, (stock.get(line.sku) ?? 0) + line.quantity);
      reservations.set(reservation.orderId, { ...current, status: entry.status, updatedAt: entry.at, history: [...(current.history ?? []), entry] });
      append(events, cause);
      return true;
    },
  };

  return { repository, stock, reservations, outbox };
}
