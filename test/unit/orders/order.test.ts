import { describe, expect, it } from 'vitest';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '#contracts/events';
import { decide, newOrder, UnknownSkuError, type Order, type SagaEvent } from '../../../functions/orders/domain/order';
import { sagaEvents } from '../../helpers/orders-saga-events';

const orderId = 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2';
const context = { orderId, idempotencyKey: 'checkout-7f3a21-20250314-0926', now: new Date('2025-03-14T09:26:53.589Z') };

const pendingOrder = (): Order =>
  newOrder({ customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-PIRATE', quantity: 2 }] }, context).order;

const everySagaEvent: [string, SagaEvent][] = [
  ['InventoryRejected', sagaEvents.inventoryRejected(orderId)],
  ['PaymentAuthorized', sagaEvents.paymentAuthorized(orderId, 1798)],
  ['PaymentDeclined', sagaEvents.paymentDeclined(orderId)],
];

describe('newOrder', () => {
  it('prices every line from the catalog and totals the order', () => {
    const request = { customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-PIRATE', quantity: 2 }, { sku: 'DUCK-GOLD', quantity: 1 }] };

    const { order } = newOrder(request, context);

    expect(order.lines).toEqual([
      { sku: 'DUCK-PIRATE', quantity: 2, unitPriceCents: 899 },
      { sku: 'DUCK-GOLD', quantity: 1, unitPriceCents: 250_000 },
    ]);
    expect(order.total).toEqual({ amountCents: 2 * 899 + 250_000, currency: 'USD' });
  });

  it('starts PENDING with a placement entry in its history', () => {
    const order = pendingOrder();

    expect(order).toMatchObject({
      orderId,
      customerId: 'cust-7f3a21',
      status: 'PENDING',
      idempotencyKey: context.idempotencyKey,
      createdAt: '2025-03-14T09:26:53.589Z',
      updatedAt: '2025-03-14T09:26:53.589Z',
      history: [{ status: 'PENDING', at: '2025-03-14T09:26:53.589Z', reason: 'placed' }],
    });
    expect(order).not.toHaveProperty('cancellationReason');
  });

  it('emits one OrderPlaced whose data satisfies the contract', () => {
    const { order, events } = newOrder({ customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-NINJA', quantity: 4 }] }, context);

    expect(events).toHaveLength(1);
    expect(events[0]?.contract).toBe(OrderPlaced);
    expect(OrderPlaced.data.parse(events[0]?.data)).toEqual({ orderId, customerId: 'cust-7f3a21', lines: order.lines, total: order.total });
  });

  it('refuses unknown SKUs and names every one of them', () => {
    const request = { customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-PIRATE', quantity: 1 }, { sku: 'DUCK-DRAGON', quantity: 1 }, { sku: 'GOOSE-1', quantity: 1 }] };

    const act = () => newOrder(request, context);

    expect(act).toThrow(UnknownSkuError);
    expect(act).toThrow(expect.objectContaining({ name: 'UnknownSkuError', skus: ['DUCK-DRAGON', 'GOOSE-1'] }));
  });
});

describe('decide', () => {
  it('cancels a pending order for lack of stock on InventoryRejected', () => {
    const decision = decide(pendingOrder(), sagaEvents.inventoryRejected(orderId));

    expect(decision).toEqual({
      kind: 'transition',
      to: 'CANCELLED',
      cancellationReason: 'OUT_OF_STOCK',
      events: [{ contract: OrderCancelled, data: { orderId, customerId: 'cust-7f3a21', reason: 'OUT_OF_STOCK' } }],
    });
  });

  it('cancels a pending order on PaymentDeclined', () => {
    const decision = decide(pendingOrder(), sagaEvents.paymentDeclined(orderId));

    expect(decision).toEqual({
      kind: 'transition',
      to: 'CANCELLED',
      cancellationReason: 'PAYMENT_DECLINED',
      events: [{ contract: OrderCancelled, data: { orderId, customerId: 'cust-7f3a21', reason: 'PAYMENT_DECLINED' } }],
    });
  });

  it('confirms a pending order on PaymentAuthorized, with the order total', () => {
    const decision = decide(pendingOrder(), sagaEvents.paymentAuthorized(orderId, 1798));

    expect(decision).toEqual({
      kind: 'transition',
      to: 'CONFIRMED',
      events: [{ contract: OrderConfirmed, data: { orderId, customerId: 'cust-7f3a21', total: { amountCents: 1798, currency: 'USD' } } }],
    });
  });

  describe.each(['CONFIRMED', 'CANCELLED'] as const)('a %s order', (status) => {
    it.each(everySagaEvent)('never moves on %s', (_, event) => {
      const order = { ...pendingOrder(), status };

      const decision = decide(order, event);

      expect(decision).toEqual({ kind: 'ignore', why: `order is already ${status}` });
    });
  });
});
