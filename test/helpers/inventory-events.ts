import { randomUUID } from 'node:crypto';
import { catalog, isCatalogSku } from '#contracts/catalog';
import type { EventDetail } from '#contracts/envelope';
import { OrderCancelled, OrderPlaced } from '#contracts/events';
import type { CancellationReason } from '#contracts/primitives';

export const customerId = 'customer-42';

const metadata = (type: string, orderId: string, eventId: string) => ({
  eventId,
  type,
  version: 1,
  occurredAt: '2025-01-01T12:00:00.000Z',
  correlationId: orderId,
  causationId: randomUUID(),
  originRegion: 'us-east-1',
});

/** An OrderPlaced detail that passes the contract; prices come from the catalog (1 cent for a SKU outside it). */
export function orderPlaced(
  spec: { orderId?: string; eventId?: string; lines?: { sku: string; quantity: number }[] } = {},
): EventDetail<typeof OrderPlaced> {
  const orderId = spec.orderId ?? randomUUID();
  const lines = (spec.lines ?? [{ sku: 'DUCK-CLASSIC', quantity: 2 }]).map(({ sku, quantity }) => ({
    sku,
    quantity,
    unitPriceCents: isCatalogSku(sku) ? catalog[sku].unitPriceCents : 1,
  }));
  const amountCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  return OrderPlaced.detail.parse({
    metadata: metadata(OrderPlaced.detailType, orderId, spec.eventId ?? randomUUID()),
    data: { orderId, customerId, lines, total: { amountCents, currency: 'USD' } },
  });
}

export function orderCancelled(spec: { orderId: string; eventId?: string; reason?: CancellationReason }): EventDetail<typeof OrderCancelled> {
  return OrderCancelled.detail.parse({
    metadata: metadata(OrderCancelled.detailType, spec.orderId, spec.eventId ?? randomUUID()),
    data: { orderId: spec.orderId, customerId, reason: spec.reason ?? 'PAYMENT_DECLINED' },
  });
}
