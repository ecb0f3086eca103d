import type { Causation, PendingEvent } from '#shared/outbox';
import type { HistoryEntry, Order } from './order';

export interface IdempotencyClaim {
  /** Scoped to the caller, so one client cannot observe another's keys. */
  key: string;
  requestHash: string;
}

export type CreateResult = { created: true } | { created: false; existing: { orderId: string; requestHash: string } };

export interface OrderRepository {
  /** Writes the key claim, the order and its outbox rows in one transaction, or reports the order that already holds the key. */
  create(order: Order, claim: IdempotencyClaim, events: PendingEvent[], cause: Causation): Promise<CreateResult>;
  get(orderId: string): Promise<Order | undefined>;
  /** Moves a PENDING order and writes its outbox rows atomically; false if the order was no longer PENDING. */
  transition(order: Order, change: { to: Order['status']; entry: HistoryEntry; cancellationReason?: Order['cancellationReason'] }, events: PendingEvent[], cause: Causation): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}
