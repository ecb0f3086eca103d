import { randomUUID } from 'node:crypto';
import type { EventDetail } from '#contracts/envelope';
import { OrderCancelled, OrderConfirmed } from '#contracts/events';
import type { CancellationReason } from '#contracts/primitives';
import { eventDetail } from './events-envelope';

export const customerId = 'customer-7';

/** Just before the notifications tests' fixed clock, as a delivered event would be. */
const occurredAt = '2025-01-01T12:00:00.000Z';

export function orderConfirmed(spec: { orderId?: string; eventId?: string; amountCents?: number } = {}): EventDetail<typeof OrderConfirmed> {
  return eventDetail(
    OrderConfirmed,
    { orderId: spec.orderId ?? randomUUID(), customerId, total: { amountCents: spec.amountCents ?? 1398, currency: 'USD' } },
    { eventId: spec.eventId, occurredAt },
  );
}

export function orderCancelled(spec: { orderId?: string; eventId?: string; reason?: CancellationReason } = {}): EventDetail<typeof OrderCancelled> {
  return eventDetail(OrderCancelled, { orderId: spec.orderId ?? randomUUID(), customerId, reason: spec.reason ?? 'OUT_OF_STOCK' }, { eventId: spec.eventId, occurredAt });
}
