import type { EventContract, EventDetail } from '#contracts/envelope';
import type { OutboxRow } from '#contracts/outbox';
import { outboxRow, type Causation, type PendingEvent } from '#shared/outbox';
import type { Order } from '../../functions/orders/domain/order';
import type { Clock, DeadlineTimer, DeadlineTimers, OrderRepository, OverdueOrders } from '../../functions/orders/domain/ports';

export const fixedClock = (at = '2025-03-14T09:26:53.589Z'): Clock => ({ now: () => new Date(at) });

/** A clock that moves one second forward on every read, so the order of writes shows in their timestamps. */
export function tickingClock(start = '2025-03-14T09:26:53.000Z'): Clock {
  let next = Date.parse(start);
  return {
    now: () => {
      const now = new Date(next);
      next += 1_000;
      return now;
    },
  };
}

export interface InMemoryOrders {
  repository: OrderRepository;
  orders: Map<string, Order>;
  /** Idempotency claims by scoped key, as the DynamoDB adapter stores them. */
  claims: Map<string, { orderId: string; requestHash: string }>;
  /** Outbox rows in commit order, built and validated by the real outbox code. */
  outbox: OutboxRow[];
  /** The outbox rows' details, parsed back, in commit order. */
  emitted: () => { detailType: string; detail: EventDetail<EventContract> }[];
  /** Nothing was ever written. */
  isEmpty: () => boolean;
  /** The sweep's query over this store: PENDING orders past the cutoff, oldest deadline first. */
  overdue: OverdueOrders;
}

/**
 * An OrderRepository that enforces the conditions of the DynamoDB adapter: the
 * idempotency claim is unique, an order id is written once, an order moves
 * only from PENDING; each call is all or nothing (outbox rows are built first,
 * so an invalid event aborts the whole write), and reads return copies.
 */
export function inMemoryOrders(environment: { region?: string; clock?: Clock } = {}): InMemoryOrders {
  const orders = new Map<string, Order>();
  const claims = new Map<string, { orderId: string; requestHash: string }>();
  const outbox: OutboxRow[] = [];
  const region = environment.region ?? 'us-east-1';
  const clock = environment.clock ?? fixedClock();

  const rowsFor = (events: PendingEvent[], cause: Causation) => events.map((event) => outboxRow(event, cause, { region, now: () => clock.now() }));

  const repository: OrderRepository = {
    async create(order, claim, events, cause) {
      const existing = claims.get(claim.key);
      if (existing) return { created: false, existing: { ...existing } };
      if (orders.has(order.orderId)) throw new Error(`condition failed: order ${order.orderId} already exists`);
      const rows = rowsFor(events, cause);
      claims.set(claim.key, { orderId: order.orderId, requestHash: claim.requestHash });
      orders.set(order.orderId, structuredClone(order));
      outbox.push(...rows);
      return { created: true };
    },

    async get(orderId) {
      const order = orders.get(orderId);
      return order && structuredClone(order);
    },

    async transition(order, change, events, cause) {
      const current = orders.get(order.orderId);
      if (current?.status !== 'PENDING') return false;
      const rows = rowsFor(events, cause);
      orders.set(order.orderId, {
        ...current,
        status: change.to,
        updatedAt: change.entry.at,
        history: [...current.history, structuredClone(change.entry)],
        ...(change.cancellationReason ? { cancellationReason: change.cancellationReason } : {}),
      });
      outbox.push(...rows);
      return true;
    },
  };

  return {
    repository,
    orders,
    claims,
    outbox,
    emitted: () => outbox.map((row) => ({ detailType: row.detailType, detail: JSON.parse(row.detail) as EventDetail<EventContract> })),
    isEmpty: () => orders.size === 0 && claims.size === 0 && outbox.length === 0,
    overdue: {
      async list(cutoff, limit) {
        return [...orders.values()]
          .filter((order) => order.status === 'PENDING' && Date.parse(order.deadline) < cutoff.getTime())
          .sort((a, b) => a.deadline.localeCompare(b.deadline))
          .slice(0, limit)
          .map(({ orderId, deadline }) => ({ orderId, deadline }));
      },
    },
  };
}

export interface InMemoryTimers {
  timers: DeadlineTimers;
  /** The timers currently set, by order id. */
  pending: Map<string, DeadlineTimer>;
  /** Order ids in the order their timers were cleared (a clear of no timer counts too). */
  cleared: string[];
  /** Makes every later `clear` (or `set`) fail, as a Scheduler outage would. */
  failClears: (error?: Error) => void;
  failSets: (error?: Error) => void;
}

/** Deadline timers that behave like named one-time schedules: one per order, a second set is 'already-set'. */
export function inMemoryTimers(): InMemoryTimers {
  const pending = new Map<string, DeadlineTimer>();
  const cleared: string[] = [];
  let clearError: Error | undefined;
  let setError: Error | undefined;
  return {
    pending,
    cleared,
    failClears: (error = new Error('ThrottlingException: Rate exceeded')) => {
      clearError = error;
    },
    failSets: (error = new Error('ThrottlingException: Rate exceeded')) => {
      setError = error;
    },
    timers: {
      async set(timer) {
        if (setError) throw setError;
        if (pending.has(timer.orderId)) return 'already-set';
        pending.set(timer.orderId, structuredClone(timer));
        return 'set';
      },
      async clear(orderId) {
        if (clearError) throw clearError;
        pending.delete(orderId);
        cleared.push(orderId);
      },
    },
  };
}
