import { randomUUID } from 'node:crypto';
import type { EventDetail } from '#contracts/envelope';
import { OrderCancelled, OrderConfirmed } from '#contracts/events';
import type { CancellationReason } from '#contracts/primitives';

export const customerId = 'customer-7';

const metadata = (type: string, orderId: string, eventId: string) => ({
  eventId,
  type,
  version: 1,
  occurredAt: '2025-01-01T12:00:00.000Z',
  correlationId: orderId,
  causationId: randomUUID(),
  originRegion: 'us-east-1',
});

export function orderConfirmed(spec: { orderId?: string; eventId?: string; amountCents?: number } = {}): EventDetail<typeof OrderConfirmed> {
  const orderId = spec.orderId ?? randomUUID();
  return OrderConfirmed.detail.parse({
    metadata: metadata(OrderConfirmed.detailType, orderId, spec.eventId ?? randomUUID()),
    data: { orderId, customerId, total: { amountCents: spec.amountCents ?? 1398, currency: 'USD' } },
  });
}

export function orderCancelled(spec: { orderId?: string; eventId?: string; reason?: CancellationReason } = {}): EventDetail<typeof OrderCancelled> {
  const orderId = spec.orderId ?? randomUUID();
  return OrderCancelled.detail.parse({
    metadata: metadata(OrderCancelled.detailType, orderId, spec.eventId ?? randomUUID()),
    data: { orderId, customerId, reason: spec.reason ?? 'OUT_OF_STOCK' },
  });
}
