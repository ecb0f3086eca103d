import { randomUUID } from 'node:crypto';
import type { EventDetail } from '#contracts/envelope';
import { InventoryReserved, OrderCancelled } from '#contracts/events';
import type { CancellationReason } from '#contracts/primitives';
import { eventDetail } from './events-envelope';

export type InventoryReservedDetail = EventDetail<typeof InventoryReserved>;
export type OrderCancelledDetail = EventDetail<typeof OrderCancelled>;

/** Just before the payments tests' fixed clock, published in the payments tests' region. */
const envelope = { occurredAt: '2026-11-20T10:00:00.000Z', originRegion: 'eu-west-1' };

/** An InventoryReserved detail as the payments queue delivers it, validated by its contract. */
export function inventoryReserved(overrides: { orderId?: string; customerId?: string; amountCents?: number; eventId?: string; deadline?: string } = {}): InventoryReservedDetail {
  return eventDetail(
    InventoryReserved,
    {
      orderId: overrides.orderId ?? randomUUID(),
      customerId: overrides.customerId ?? 'customer-42',
      lines: [{ sku: 'DUCK-PIRATE', quantity: 2 }],
      total: { amountCents: overrides.amountCents ?? 1798, currency: 'USD' },
    },
    { ...envelope, eventId: overrides.eventId, ...(overrides.deadline ? { deadline: overrides.deadline } : {}) },
  );
}

/** An OrderCancelled detail, validated by its contract. */
export function orderCancelled(overrides: { orderId?: string; customerId?: string; reason?: CancellationReason; eventId?: string } = {}): OrderCancelledDetail {
  return eventDetail(
    OrderCancelled,
    { orderId: overrides.orderId ?? randomUUID(), customerId: overrides.customerId ?? 'customer-42', reason: overrides.reason ?? 'SAGA_DEADLINE' },
    { ...envelope, eventId: overrides.eventId },
  );
}
