import type { EventMetadata } from '#contracts/envelope';
import { InventoryRejected, PaymentAuthorized, PaymentDeclined } from '#contracts/events';
import type { SagaEvent } from '../../functions/orders/domain/order';
import { eventDetail } from './events-envelope';

/** The events orders consumes, for one order, each valid against its contract. */
export const sagaEvents = {
  inventoryRejected: (orderId: string, metadata: Partial<EventMetadata> = {}) =>
    eventDetail(InventoryRejected, { orderId, unavailable: [{ sku: 'DUCK-LIMITED', requested: 3 }] }, metadata),
  paymentAuthorized: (orderId: string, amountCents: number, metadata: Partial<EventMetadata> = {}) =>
    eventDetail(PaymentAuthorized, { orderId, authorizationId: 'auth_3QxY7b2eZvKp1Lm', amount: { amountCents, currency: 'USD' } }, { originRegion: 'us-west-2', ...metadata }),
  paymentDeclined: (orderId: string, metadata: Partial<EventMetadata> = {}) =>
    eventDetail(PaymentDeclined, { orderId, reason: 'card_declined: insufficient_funds' }, { originRegion: 'us-west-2', ...metadata }),
} satisfies Record<string, (orderId: string, ...rest: never[]) => SagaEvent>;
