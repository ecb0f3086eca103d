import { describe, expect, it } from 'vitest';
import { OrderCancelled, OrderConfirmed, OrderPlaced, OrderTimedOut } from '#contracts/events';
import { decide, newOrder, orderTimedOut, orderTimedOutEventId, UnknownSkuError, type Order, type SagaEvent } from '../../../functions/orders/domain/order';
import { sagaEvents } from '../../helpers/orders-saga-events';

const orderId = 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2';
const context = { orderId, idempotencyKey: 'checkout-7f3a21-20250314-0926', principal: 'cognito-sub-7f3a21', now: new Date('2025-03-14T09:26:53.589Z'), sagaDeadlineSeconds: 300 };

const pendingOrder = (): Order =>
  newOrder({ customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-PIRATE', quantity: 2 }] }, context).order;

const everySagaEvent: [string, SagaEvent][] = [
  ['InventoryRejected', sagaEvents.inventoryRejected(orderId)],
  ['PaymentAuthorized', sagaEvents.paymentAuthorized(orderId, 1798)],
  ['PaymentDeclined', sagaEvents.paymentDeclined(orderId)],
  ['OrderTimedOut', sagaEvents.orderTimedOut(orderId)],
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
      principal: 'cognito-sub-7f3a21',
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
    expect(OrderPlaced.data.parse(events[0]?.data)).toEqual({ orderId, customerId: 'cust-7f3a21', lines: order.lines, total: order.total, deadline: order.deadline });
  });

  it('sets the saga deadline the configured number of seconds after placement, and announces it in OrderPlaced', () => {
    const { order, events } = newOrder({ customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-NINJA', quantity: 1 }] }, { ...context, sagaDeadlineSeconds: 30 });

    expect(order.deadline).toBe('2025-03-14T09:27:23.589Z');
    expect(events[0]?.data).toMatchObject({ deadline: '2025-03-14T09:27:23.589Z' });
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

  it('cancels a pending order at its saga deadline on OrderTimedOut', () => {
    const decision = decide(pendingOrder(), sagaEvents.orderTimedOut(orderId));

    expect(decision).toEqual({
      kind: 'transition',
      to: 'CANCELLED',
      cancellationReason: 'SAGA_DEADLINE',
      events: [{ contract: OrderCancelled, data: { orderId, customerId: 'cust-7f3a21', reason: 'SAGA_DEADLINE' } }],
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

describe('orderTimedOut', () => {
  const timedOut = () => orderTimedOut({ orderId, deadline: '2025-03-14T09:31:53.589Z' }, { region: 'us-east-1', causationId: 'placed-event', occurredAt: new Date('2025-03-14T09:31:53.589Z') });

  it('builds an event that satisfies the OrderTimedOut contract, correlated to its order', () => {
    const event = timedOut();

    expect(OrderTimedOut.detail.parse(event)).toEqual(event);
    expect(event.metadata).toMatchObject({ type: 'OrderTimedOut', correlationId: orderId, causationId: 'placed-event', originRegion: 'us-east-1' });
    expect(event.data).toEqual({ orderId, deadline: '2025-03-14T09:31:53.589Z' });
  });

  it('gives every copy of an order\u2019s OrderTimedOut the same eventId, whoever builds it and when', () => {
    const fromTimer = timedOut();
    const fromSweep = orderTimedOut({ orderId, deadline: '2025-03-14T09:31:53.589Z' }, { region: 'us-east-1', causationId: 'deadline-sweep', occurredAt: new Date('2025-03-14T09:40:00.000Z') });

    expect(fromSweep.metadata.eventId).toBe(fromTimer.metadata.eventId);
    expect(fromTimer.metadata.eventId).toBe(orderTimedOutEventId(orderId));
  });

  it('gives two orders different OrderTimedOut eventIds', () => {
    expect(orderTimedOutEventId('6a03d7b1-e582-49ec-af65-6ee7b8b96479')).not.toBe(orderTimedOutEventId(orderId));
  });
});
