import type { OrderTimedOut } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
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

export interface DeadlineTimer {
  orderId: string;
  /** When to deliver `event`: the deadline, or a moment later when the timer is set late. */
  fireAt: Date;
  /** What the timer delivers to the orders consumer; built once, so every delivery carries the same eventId. */
  event: EventDetail<typeof OrderTimedOut>;
}

/** One-time timers, one per order, named after the order id. */
export interface DeadlineTimers {
  /** 'already-set' when the order has a timer (a redelivered OrderPlaced): setting is idempotent. */
  set(timer: DeadlineTimer): Promise<'set' | 'already-set'>;
  /** Removes the order's timer; resolves as well when there is none (it fired, or was never set). */
  clear(orderId: string): Promise<void>;
}

export interface OverdueOrder {
  orderId: string;
  deadline: string;
}

export interface OverdueOrders {
  /** PENDING orders whose deadline is before `cutoff`, at most `limit` of them. May include an order that has just moved on. */
  list(cutoff: Date, limit: number): Promise<OverdueOrder[]>;
}

export interface Clock {
  now(): Date;
}
