import type { EventMetadata } from '#contracts/envelope';
import { InventoryRejected, PaymentAuthorized, PaymentDeclined } from '#contracts/events';
import { orderTimedOut, type SagaEvent } from '../../functions/orders/domain/order';
import { eventDetail } from './events-envelope';

/** The events orders consumes, for one order, each valid against its contract. */
export const sagaEvents = {
  inventoryRejected: (orderId: string, metadata: Partial<EventMetadata> = {}) =>
    eventDetail(InventoryRejected, { orderId, unavailable: [{ sku: 'DUCK-LIMITED', requested: 3 }] }, metadata),
  paymentAuthorized: (orderId: string, amountCents: number, metadata: Partial<EventMetadata> = {}) =>
    eventDetail(PaymentAuthorized, { orderId, authorizationId: 'auth_3QxY7b2eZvKp1Lm', amount: { amountCents, currency: 'USD' } }, { originRegion: 'us-west-2', ...metadata }),
  paymentDeclined: (orderId: string, metadata: Partial<EventMetadata> = {}) =>
    eventDetail(PaymentDeclined, { orderId, reason: 'card_declined: insufficient_funds' }, { originRegion: 'us-west-2', ...metadata }),
  /** As the order's timer delivers it, with the order's one OrderTimedOut eventId (every copy of it is the same event). */
  orderTimedOut: (orderId: string, deadline = '2025-03-14T09:31:53.589Z') =>
    orderTimedOut({ orderId, deadline }, { region: 'us-east-1', causationId: '2f1ee897-a75c-4f48-ad1b-50cbde001040', occurredAt: new Date(deadline) }),
} satisfies Record<string, (orderId: string, ...rest: never[]) => SagaEvent>;
