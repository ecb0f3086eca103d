import { catalog, isCatalogSku } from '#contracts/catalog';
import { OrderCancelled, OrderConfirmed, OrderPlaced, type InventoryRejected, type PaymentAuthorized, type PaymentDeclined } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
import type { PlaceOrderRequest } from '#contracts/api';
import type { CancellationReason, Money, OrderLine, OrderStatus } from '#contracts/primitives';
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
  createdAt: string;
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

/** Prices every line from the catalog; the client never sets a price. */
export function newOrder(request: PlaceOrderRequest, context: { orderId: string; idempotencyKey: string; now: Date }): { order: Order; events: PendingEvent[] } {
  const unknown = request.items.map((item) => item.sku).filter((sku) => !isCatalogSku(sku));
  if (unknown.length > 0) throw new UnknownSkuError(unknown);

  const lines = request.items.map(({ sku, quantity }) => ({ sku, quantity, unitPriceCents: catalog[sku as keyof typeof catalog].unitPriceCents }));
  const total: Money = { amountCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0), currency: 'USD' };
  const at = context.now.toISOString();
  const order: Order = {
    orderId: context.orderId,
    customerId: request.customerId,
    lines,
    total,
    status: 'PENDING',
    idempotencyKey: context.idempotencyKey,
    createdAt: at,
    updatedAt: at,
    history: [{ status: 'PENDING', at, reason: 'placed' }],
  };
  return { order, events: [emit(OrderPlaced, { orderId: order.orderId, customerId: order.customerId, lines, total })] };
}

export type SagaEvent = EventDetail<typeof InventoryRejected> | EventDetail<typeof PaymentAuthorized> | EventDetail<typeof PaymentDeclined>;

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
 */
export function decide(order: Order, event: SagaEvent): Decision {
  if (order.status !== 'PENDING') return { kind: 'ignore', why: `order is already ${order.status}` };
  switch (event.metadata.type) {
    case 'InventoryRejected':
      return cancel(order, 'OUT_OF_STOCK');
    case 'PaymentDeclined':
      return cancel(order, 'PAYMENT_DECLINED');
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
