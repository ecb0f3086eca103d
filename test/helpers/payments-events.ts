import { randomUUID } from 'node:crypto';
import type { EventDetail } from '#contracts/envelope';
import { InventoryReserved, OrderCancelled } from '#contracts/events';
import type { CancellationReason } from '#contracts/primitives';

export type InventoryReservedDetail = EventDetail<typeof InventoryReserved>;
export type OrderCancelledDetail = EventDetail<typeof OrderCancelled>;

const metadata = (type: string, orderId: string, eventId: string) => ({
  eventId,
  type,
  version: 1,
  occurredAt: '2026-11-20T10:00:00.000Z',
  correlationId: orderId,
  causationId: randomUUID(),
  originRegion: 'eu-west-1',
});

/** An InventoryReserved detail as the payments queue delivers it, validated by its contract. */
export function inventoryReserved(overrides: { orderId?: string; customerId?: string; amountCents?: number; eventId?: string } = {}): InventoryReservedDetail {
  const orderId = overrides.orderId ?? randomUUID();
  return InventoryReserved.detail.parse({
    metadata: metadata(InventoryReserved.detailType, orderId, overrides.eventId ?? randomUUID()),
    data: {
      orderId,
      customerId: overrides.customerId ?? 'customer-42',
      lines: [{ sku: 'DUCK-PIRATE', quantity: 2 }],
      total: { amountCents: overrides.amountCents ?? 1798, currency: 'USD' },
    },
  });
}

/** An OrderCancelled detail, validated by its contract. */
export function orderCancelled(overrides: { orderId?: string; customerId?: string; reason?: CancellationReason; eventId?: string } = {}): OrderCancelledDetail {
  const orderId = overrides.orderId ?? randomUUID();
  return OrderCancelled.detail.parse({
    metadata: metadata(OrderCancelled.detailType, orderId, overrides.eventId ?? randomUUID()),
    data: { orderId, customerId: overrides.customerId ?? 'customer-42', reason: overrides.reason ?? 'SAGA_DEADLINE' },
  });
}
