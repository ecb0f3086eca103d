import { createHash, randomUUID } from 'node:crypto';
import type { PlaceOrderRequest } from '#contracts/api';
import type { OrderPlaced } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
import { decide, newOrder, orderTimedOut, type Order, type SagaEvent } from './order';
import type { Clock, DeadlineTimers, OrderRepository, OverdueOrders } from './ports';

export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(readonly orderId: string) {
    super(`this Idempotency-Key was already used for order ${orderId} with a different request body`);
  }
}

export class UnknownOrderError extends Error {
  override readonly name = 'UnknownOrderError';
  constructor(orderId: string) {
    super(`no order ${orderId}`);
  }
}

/** Retryable: a deadline timer delivered before the deadline (a scheduler firing early) comes back once it has passed. */
export class DeadlineNotReachedError extends Error {
  override readonly name = 'DeadlineNotReachedError';
  constructor(orderId: string, deadline: string) {
    super(`order ${orderId} timed out before its deadline ${deadline}; retry after it`);
  }
}

/** The hash ignores item order: the same items in another order are the same request. */
export function requestHash(request: PlaceOrderRequest): string {
  const canonical = { customerId: request.customerId, items: [...request.items].sort((a, b) => a.sku.localeCompare(b.sku)) };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

export interface PlaceOrderCommand {
  request: PlaceOrderRequest;
  idempotencyKey: string;
  /** Who is calling (the JWT subject on AWS); idempotency keys are scoped to it. */
  principal: string;
}

/**
 * Primary course:
 * 1. Price the order from the catalog (unknown sku: rejected, nothing written) and set its saga deadline.
 * 2. In one transaction claim the idempotency key, write the order and its OrderPlaced outbox row.
 * Alternatives: the key is already claimed with the same body, so the first
 * order is returned and nothing is written; with another body, the request is
 * refused (IdempotencyKeyReusedError).
 * The deadline's timer is not set here: a call after the commit could fail
 * and leave an order without one. It is set from the committed OrderPlaced
 * (armDeadline).
 */
export async function placeOrder(
  command: PlaceOrderCommand,
  ports: { orders: OrderRepository; clock: Clock; sagaDeadlineSeconds: number; newId?: () => string },
): Promise<{ orderId: string; replayed: boolean }> {
  const hash = requestHash(command.request);
  const orderId = (ports.newId ?? randomUUID)();
  const { order, events } = newOrder(command.request, {
    orderId,
    idempotencyKey: command.idempotencyKey,
    principal: command.principal,
    now: ports.clock.now(),
    sagaDeadlineSeconds: ports.sagaDeadlineSeconds,
  });
  const result = await ports.orders.create(
    order,
    { key: `${command.principal}#${command.idempotencyKey}`, requestHash: hash },
    events,
    { correlationId: orderId, causationId: command.idempotencyKey, deadline: order.deadline },
  );
  if (result.created) return { orderId, replayed: false };
  if (result.existing.requestHash !== hash) throw new IdempotencyKeyReusedError(result.existing.orderId);
  return { orderId: result.existing.orderId, replayed: true };
}

export async function getOrder(orderId: string, ports: { orders: OrderRepository }): Promise<Order> {
  const order = await ports.orders.get(orderId);
  if (!order) throw new UnknownOrderError(orderId);
  return order;
}

export interface SagaPorts {
  orders: OrderRepository;
  clock: Clock;
  timers: DeadlineTimers;
}

type Applied = { moved: boolean; outcome: string };

async function apply(event: SagaEvent, ports: SagaPorts): Promise<Applied> {
  const orderId = event.data.orderId;
  for (let attempt = 0; attempt < 2; attempt++) {
    const order = await ports.orders.get(orderId);
    if (!order) throw new UnknownOrderError(orderId);
    // A deadline cancellation happens at the deadline, never before: participants stop starting side effects a margin
    // before it (functions/shared/saga-deadline.ts), and that is what rules out a charge after the cancellation.
    if (event.metadata.type === 'OrderTimedOut' && order.status === 'PENDING' && ports.clock.now() < new Date(order.deadline)) throw new DeadlineNotReachedError(orderId, order.deadline);
    const decision = decide(order, event);
    if (decision.kind === 'ignore') return { moved: false, outcome: `ignored ${event.metadata.type}: ${decision.why}` };
    const entry = {
      status: decision.to,
      at: ports.clock.now().toISOString(),
      reason: decision.cancellationReason ?? event.metadata.type,
      eventId: event.metadata.eventId,
    };
    const moved = await ports.orders.transition(
      order,
      { to: decision.to, entry, ...(decision.cancellationReason ? { cancellationReason: decision.cancellationReason } : {}) },
      decision.events,
      { correlationId: orderId, causationId: event.metadata.eventId, deadline: order.deadline },
    );
    if (!moved) continue;
    // After the commit, never before: the order is terminal now, so a timer that
    // survives a failed clear only delivers an OrderTimedOut that decide()
    // ignores (and the schedule deletes itself once it has fired). A failure
    // here is therefore reported, not thrown: a retry could not do better.
    try {
      await ports.timers.clear(orderId);
      return { moved: true, outcome: `order ${decision.to}` };
    } catch (error) {
      return { moved: true, outcome: `order ${decision.to}; its deadline timer stays (harmless, fires into a terminal order): ${(error as Error).message}` };
    }
  }
  return { moved: false, outcome: `ignored ${event.metadata.type}: order moved concurrently` };
}

/**
 * Applies a downstream event (or the order's own OrderTimedOut) to its order.
 * A conditional write guards the move; if another event moved the order
 * first, the decision is made again on the fresh state (which is then
 * terminal, so the event is ignored). Once the order is terminal its deadline
 * timer is cleared.
 */
export async function applySagaEvent(event: SagaEvent, ports: SagaPorts): Promise<string> {
  return (await apply(event, ports)).outcome;
}

/** A timer set later than this before its moment could be refused as "in the past" by the time the call lands. */
export const minimumTimerLeadSeconds = 5;

/**
 * Sets the order's saga-deadline timer from the committed OrderPlaced.
 * Primary course:
 * 1. Read the order (the row, not the event, is the truth about its deadline).
 * 2. Set a one-time timer named after the order that delivers its OrderTimedOut at the deadline.
 * Alternatives: the order is already terminal, so no timer is needed; the
 * timer exists (a redelivery), which is success; the deadline has passed
 * (OrderPlaced was delayed), so the timer fires in a few seconds instead.
 * If the order turns terminal between 1 and 2, its clear finds no timer and
 * this one is set anyway: it fires into a terminal order, which ignores it,
 * and the schedule deletes itself after firing.
 */
export async function armDeadline(
  placed: EventDetail<typeof OrderPlaced>,
  ports: { orders: OrderRepository; timers: DeadlineTimers; clock: Clock; region: string },
): Promise<string> {
  const orderId = placed.data.orderId;
  const order = await ports.orders.get(orderId);
  if (!order) throw new UnknownOrderError(orderId);
  if (order.status !== 'PENDING') return `no deadline timer: order is already ${order.status}`;
  const deadline = new Date(order.deadline);
  const earliest = new Date(ports.clock.now().getTime() + minimumTimerLeadSeconds * 1000);
  const fireAt = deadline > earliest ? deadline : earliest;
  const event = orderTimedOut(order, { region: ports.region, causationId: placed.metadata.eventId, occurredAt: deadline });
  const result = await ports.timers.set({ orderId, fireAt, event });
  return result === 'set' ? `deadline timer set for ${fireAt.toISOString()}` : 'deadline timer was already set';
}

export interface SweepPolicy {
  /** How long past its deadline an order must be before the sweep acts: the timer's own delivery comes first. */
  graceSeconds: number;
  /** Orders handled per run at most; the rest wait for the next run. */
  limit: number;
  /** Orders handled at once. @default 8 */
  concurrency?: number;
}

export interface SweepReport {
  cutoff: string;
  examined: number;
  cancelled: number;
  /** Already terminal by the time the sweep read them (the index lags the table a little). */
  alreadyMoved: number;
  failed: { orderId: string; error: string }[];
}

/**
 * The second line of defence behind the timers: cancels every PENDING order
 * whose deadline passed more than `graceSeconds` ago, through the same use
 * case and the same OrderTimedOut (same eventId) as its timer would. Bounded
 * (`limit` per run) and idempotent: a concurrent timer, or the next run,
 * finds the order terminal and leaves it. One failing order does not stop the
 * others; the failures are reported for the caller to raise.
 */
export async function sweepOverdueOrders(ports: SagaPorts & { overdue: OverdueOrders; region: string }, policy: SweepPolicy): Promise<SweepReport> {
  const now = ports.clock.now();
  const cutoff = new Date(now.getTime() - policy.graceSeconds * 1000);
  const candidates = await ports.overdue.list(cutoff, policy.limit);
  const report: SweepReport = { cutoff: cutoff.toISOString(), examined: candidates.length, cancelled: 0, alreadyMoved: 0, failed: [] };
  const concurrency = policy.concurrency ?? 8;
  for (let start = 0; start < candidates.length; start += concurrency) {
    const batch = candidates.slice(start, start + concurrency);
    const results = await Promise.allSettled(
      batch.map((candidate) => apply(orderTimedOut(candidate, { region: ports.region, causationId: 'deadline-sweep', occurredAt: now }), ports)),
    );
    results.forEach((result, index) => {
      if (result.status === 'rejected') report.failed.push({ orderId: batch[index]!.orderId, error: String((result.reason as Error)?.message ?? result.reason) });
      else if (result.value.moved) report.cancelled++;
      else report.alreadyMoved++;
    });
  }
  return report;
}
