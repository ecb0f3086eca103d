import { randomUUID } from 'node:crypto';
import { catalog, isCatalogSku } from '#contracts/catalog';
import type { EventDetail } from '#contracts/envelope';
import { OrderCancelled, OrderPlaced } from '#contracts/events';
import type { CancellationReason } from '#contracts/primitives';
import { eventDetail } from './events-envelope';

export const customerId = 'customer-42';

/** Just before the inventory tests' fixed clock, as a delivered event would be. */
const occurredAt = '2025-01-01T12:00:00.000Z';
/** The deadline the orders API would have set, five minutes after placement. */
const deadline = '2025-01-01T12:05:00.000Z';

/** An OrderPlaced detail that passes the contract; prices come from the catalog (1 cent for a SKU outside it). */
export function orderPlaced(
  spec: { orderId?: string; eventId?: string; lines?: { sku: string; quantity: number }[] } = {},
): EventDetail<typeof OrderPlaced> {
  const lines = (spec.lines ?? [{ sku: 'DUCK-CLASSIC', quantity: 2 }]).map(({ sku, quantity }) => ({
    sku,
    quantity,
    unitPriceCents: isCatalogSku(sku) ? catalog[sku].unitPriceCents : 1,
  }));
  const amountCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  return eventDetail(
    OrderPlaced,
    { orderId: spec.orderId ?? randomUUID(), customerId, lines, total: { amountCents, currency: 'USD' }, deadline },
    { eventId: spec.eventId, occurredAt },
  );
}

export function orderCancelled(spec: { orderId: string; eventId?: string; reason?: CancellationReason }): EventDetail<typeof OrderCancelled> {
  return eventDetail(OrderCancelled, { orderId: spec.orderId, customerId, reason: spec.reason ?? 'PAYMENT_DECLINED' }, { eventId: spec.eventId, occurredAt });
}
