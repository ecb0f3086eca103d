import { catalog, isCatalogSku } from '#contracts/catalog';
import { deadlinePassedDeclineReason, OrderCancelled, OrderConfirmed, OrderPlaced, OrderTimedOut, type InventoryRejected, type PaymentAuthorized, type PaymentDeclined } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
import type { PlaceOrderRequest } from '#contracts/api';
import type { CancellationReason, Money, OrderLine, OrderStatus } from '#contracts/primitives';
import { nameBasedUuid } from '#shared/ids';
import { emit, type PendingEvent } from '#shared/outbox';

export interface HistoryEntry {
  status: OrderStatus;
  at: string;
  /** Why the order moved, e.g. the event type or the cancellation reason. */
  reason: string;
  /** The event that caused the move; absent for placement. */
  eventId?: string;
}

export interface Order {
  orderId: string;
  customerId: string;
  lines: OrderLine[];
  total: Money;
  status: OrderStatus;
  idempotencyKey: string;
  /** Whom the idempotency key belongs to (the JWT subject, or `anonymous`): the key is unique per principal. */
  principal: string;
  createdAt: string;
  /** When the saga gives up: a still-PENDING order is cancelled with SAGA_DEADLINE. */
  deadline: string;
  updatedAt: string;
  cancellationReason?: CancellationReason;
  history: HistoryEntry[];
}

export class UnknownSkuError extends Error {
  override readonly name = 'UnknownSkuError';
  constructor(readonly skus: string[]) {
    super(`unknown sku: ${skus.join(', ')}`);
  }
}

export interface NewOrderContext {
  orderId: string;
  idempotencyKey: string;
  principal: string;
  now: Date;
  /** How long the saga may take before the order is cancelled. */
  sagaDeadlineSeconds: number;
}

/** Prices every line from the catalog (the client never sets a price) and sets the saga deadline. */
export function newOrder(request: PlaceOrderRequest, context: NewOrderContext): { order: Order; events: PendingEvent[] } {
  const unknown = request.items.map((item) => item.sku).filter((sku) => !isCatalogSku(sku));
  if (unknown.length > 0) throw new UnknownSkuError(unknown);

  const lines = request.items.map(({ sku, quantity }) => ({ sku, quantity, unitPriceCents: catalog[sku as keyof typeof catalog].unitPriceCents }));
  const total: Money = { amountCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0), currency: 'USD' };
  const at = context.now.toISOString();
  const deadline = new Date(context.now.getTime() + context.sagaDeadlineSeconds * 1000).toISOString();
  const order: Order = {
    orderId: context.orderId,
    customerId: request.customerId,
    lines,
    total,
    status: 'PENDING',
    idempotencyKey: context.idempotencyKey,
    principal: context.principal,
    createdAt: at,
    updatedAt: at,
    deadline,
    history: [{ status: 'PENDING', at, reason: 'placed' }],
  };
  return { order, events: [emit(OrderPlaced, { orderId: order.orderId, customerId: order.customerId, lines, total, deadline })] };
}

/** Namespace of the OrderTimedOut event ids (a fixed random UUID: changing it would make old and new timers two events). */
const orderTimedOutNamespace = '5f0d6c1e-8b1a-4c53-9e0e-3d2f7a9b4c61';

/** The one eventId of an order's OrderTimedOut, whoever emits it: the timer, a double fire of it, or the sweep. */
export const orderTimedOutEventId = (orderId: string): string => nameBasedUuid(orderTimedOutNamespace, orderId);

/**
 * The OrderTimedOut of an order, valid against its contract. It does not go
 * through the outbox: the timer carries it (built when the timer is set) or
 * the sweep applies it directly, and both give it the same eventId.
 */
export function orderTimedOut(
  order: Pick<Order, 'orderId' | 'deadline'>,
  context: { region: string; causationId: string; occurredAt: Date },
): EventDetail<typeof OrderTimedOut> {
  return OrderTimedOut.detail.parse({
    metadata: {
      eventId: orderTimedOutEventId(order.orderId),
      type: OrderTimedOut.detailType,
      version: OrderTimedOut.version,
      occurredAt: context.occurredAt.toISOString(),
      correlationId: order.orderId,
      causationId: context.causationId,
      originRegion: context.region,
      deadline: order.deadline,
    },
    data: { orderId: order.orderId, deadline: order.deadline },
  });
}

export type SagaEvent =
  | EventDetail<typeof InventoryRejected>
  | EventDetail<typeof PaymentAuthorized>
  | EventDetail<typeof PaymentDeclined>
  | EventDetail<typeof OrderTimedOut>;

export type Decision =
  | { kind: 'transition'; to: Exclude<OrderStatus, 'PENDING'>; cancellationReason?: CancellationReason; events: PendingEvent[] }
  | { kind: 'ignore'; why: string };

const cancel = (order: Order, reason: CancellationReason): Decision => ({
  kind: 'transition',
  to: 'CANCELLED',
  cancellationReason: reason,
  events: [emit(OrderCancelled, { orderId: order.orderId, customerId: order.customerId, reason })],
});

/**
 * The order's state machine. Only a PENDING order moves, and only forward:
 * a late or duplicate event for a terminal order is ignored. A late
 * PaymentAuthorized for a cancelled order is ignored here because payments,
 * having seen OrderCancelled, refunds it; it never resurrects the order.
 * OrderTimedOut cancels whatever is still PENDING at the deadline; the
 * OrderCancelled it emits drives the same compensations as any other cause.
 */
export function decide(order: Order, event: SagaEvent): Decision {
  if (order.status !== 'PENDING') return { kind: 'ignore', why: `order is already ${order.status}` };
  switch (event.metadata.type) {
    case 'InventoryRejected':
      return cancel(order, 'OUT_OF_STOCK');
    case 'PaymentDeclined':
      // Payments declines by itself only when the deadline is too close to ask the provider: a deadline cancellation.
      return cancel(order, (event as EventDetail<typeof PaymentDeclined>).data.reason === deadlinePassedDeclineReason ? 'SAGA_DEADLINE' : 'PAYMENT_DECLINED');
    case 'OrderTimedOut':
      return cancel(order, 'SAGA_DEADLINE');
    case 'PaymentAuthorized':
      return {
        kind: 'transition',
        to: 'CONFIRMED',
        events: [emit(OrderConfirmed, { orderId: order.orderId, customerId: order.customerId, total: order.total })],
      };
    default:
      return { kind: 'ignore', why: `orders does not handle ${(event as SagaEvent).metadata.type}` };
  }
}
