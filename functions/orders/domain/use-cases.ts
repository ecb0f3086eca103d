import { createHash, randomUUID } from 'node:crypto';
import type { PlaceOrderRequest } from '#contracts/api';
import { decide, newOrder, type Order, type SagaEvent } from './order';
import type { Clock, OrderRepository } from './ports';

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
 * 1. Price the order from the catalog (unknown sku: rejected, nothing written).
 * 2. In one transaction claim the idempotency key, write the order and its OrderPlaced outbox row.
 * Alternatives: the key is already claimed with the same body, so the first
 * order is returned and nothing is written; with another body, the request is
 * refused (IdempotencyKeyReusedError).
 */
export async function placeOrder(
  command: PlaceOrderCommand,
  ports: { orders: OrderRepository; clock: Clock; newId?: () => string },
): Promise<{ orderId: string; replayed: boolean }> {
  const hash = requestHash(command.request);
  const orderId = (ports.newId ?? randomUUID)();
  const { order, events } = newOrder(command.request, { orderId, idempotencyKey: command.idempotencyKey, now: ports.clock.now() });
  const result = await ports.orders.create(
    order,
    { key: `${command.principal}#${command.idempotencyKey}`, requestHash: hash },
    events,
    { correlationId: orderId, causationId: command.idempotencyKey },
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

/**
 * Applies a downstream event to its order. A conditional write guards the
 * move; if another event moved the order first, the decision is made again on
 * the fresh state (which is then terminal, so the event is ignored).
 */
export async function applySagaEvent(event: SagaEvent, ports: { orders: OrderRepository; clock: Clock }): Promise<string> {
  const orderId = event.data.orderId;
  for (let attempt = 0; attempt < 2; attempt++) {
    const order = await ports.orders.get(orderId);
    if (!order) throw new UnknownOrderError(orderId);
    const decision = decide(order, event);
    if (decision.kind === 'ignore') return `ignored ${event.metadata.type}: ${decision.why}`;
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
      { correlationId: orderId, causationId: event.metadata.eventId },
    );
    if (moved) return `order ${decision.to}`;
  }
  return `ignored ${event.metadata.type}: order moved concurrently`;
}
