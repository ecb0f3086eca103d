import { describe, expect, it } from 'vitest';
import type { PlaceOrderRequest } from '#contracts/api';
import { UnknownSkuError } from '../../../functions/orders/domain/order';
import { applySagaEvent, IdempotencyKeyReusedError, placeOrder, requestHash, UnknownOrderError } from '../../../functions/orders/domain/use-cases';
import { fixedClock, inMemoryOrders, tickingClock, type InMemoryOrders } from '../../helpers/orders-fake-repository';
import { sagaEvents } from '../../helpers/orders-saga-events';

const request: PlaceOrderRequest = {
  customerId: 'cust-7f3a21',
  items: [
    { sku: 'DUCK-PIRATE', quantity: 2 },
    { sku: 'DUCK-CLASSIC', quantity: 3 },
  ],
};
const idempotencyKey = 'checkout-7f3a21-20250314-0926';
const principal = 'cognito-sub-7f3a21';

const sequentialIds = () => {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
};

function placing(store: InMemoryOrders = inMemoryOrders()) {
  const ports = { orders: store.repository, clock: fixedClock(), newId: sequentialIds() };
  return { store, ports, place: (command: Partial<Parameters<typeof placeOrder>[0]> = {}) => placeOrder({ request, idempotencyKey, principal, ...command }, ports) };
}

async function placedOrder(store: InMemoryOrders) {
  const { orderId } = await placing(store).place();
  return orderId;
}

describe('placeOrder', () => {
  it('creates one PENDING order and emits OrderPlaced caused by the idempotency key', async () => {
    const { store, place } = placing();

    const result = await place();

    expect(result).toEqual({ orderId: '00000000-0000-4000-8000-000000000001', replayed: false });
    expect([...store.orders.values()]).toEqual([expect.objectContaining({ orderId: result.orderId, status: 'PENDING', total: { amountCents: 3295, currency: 'USD' } })]);
    expect(store.emitted()).toEqual([
      {
        detailType: 'OrderPlaced',
        detail: {
          metadata: expect.objectContaining({ type: 'OrderPlaced', correlationId: result.orderId, causationId: idempotencyKey }),
          data: expect.objectContaining({ orderId: result.orderId, customerId: 'cust-7f3a21' }),
        },
      },
    ]);
  });

  it('returns the first order, marked replayed, for the same key and body, and writes nothing new', async () => {
    const { store, place } = placing();
    const first = await place();

    const second = await place();

    expect(second).toEqual({ orderId: first.orderId, replayed: true });
    expect(store.orders.size).toBe(1);
    expect(store.claims.size).toBe(1);
    expect(store.outbox).toHaveLength(1);
  });

  it('treats the same items in another order as the same request', async () => {
    const { store, place } = placing();
    const first = await place();

    const second = await place({ request: { ...request, items: [...request.items].reverse() } });

    expect(second).toEqual({ orderId: first.orderId, replayed: true });
    expect(store.orders.size).toBe(1);
  });

  it.each([
    ['another quantity', { ...request, items: [{ sku: 'DUCK-PIRATE', quantity: 3 }, { sku: 'DUCK-CLASSIC', quantity: 3 }] }],
    ['another customer', { ...request, customerId: 'cust-000001' }],
    ['one item fewer', { ...request, items: [{ sku: 'DUCK-PIRATE', quantity: 2 }] }],
  ])('refuses the same key with %s and writes nothing', async (_, otherRequest) => {
    const { store, place } = placing();
    const first = await place();

    const act = place({ request: otherRequest });

    await expect(act).rejects.toThrow(IdempotencyKeyReusedError);
    await expect(act).rejects.toMatchObject({ name: 'IdempotencyKeyReusedError', orderId: first.orderId });
    expect(store.orders.size).toBe(1);
    expect(store.outbox).toHaveLength(1);
  });

  it('gives different callers who happen to use the same key different orders', async () => {
    const { store, place } = placing();

    const alice = await place({ principal: 'cognito-sub-alice' });
    const bob = await place({ principal: 'cognito-sub-bob' });

    expect(bob.orderId).not.toBe(alice.orderId);
    expect([alice.replayed, bob.replayed]).toEqual([false, false]);
    expect(store.orders.size).toBe(2);
  });

  it('writes nothing for an unknown SKU', async () => {
    const { store, place } = placing();

    const act = place({ request: { customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-DRAGON', quantity: 1 }] } });

    await expect(act).rejects.toThrow(UnknownSkuError);
    expect(store.isEmpty()).toBe(true);
  });
});

describe('requestHash', () => {
  it('ignores the order of the items', () => {
    expect(requestHash({ ...request, items: [...request.items].reverse() })).toBe(requestHash(request));
  });

  it('tells different quantities apart', () => {
    expect(requestHash({ ...request, items: [{ sku: 'DUCK-PIRATE', quantity: 20 }, { sku: 'DUCK-CLASSIC', quantity: 3 }] })).not.toBe(requestHash(request));
  });
});

describe('applySagaEvent', () => {
  const sagaPorts = (store: InMemoryOrders) => ({ orders: store.repository, clock: fixedClock('2025-03-14T09:27:00.000Z') });

  it('confirms a pending order on PaymentAuthorized and emits OrderConfirmed caused by that event', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const authorized = sagaEvents.paymentAuthorized(orderId, 3295);

    const outcome = await applySagaEvent(authorized, sagaPorts(store));

    expect(outcome).toBe('order CONFIRMED');
    const order = store.orders.get(orderId);
    expect(order?.status).toBe('CONFIRMED');
    expect(order?.updatedAt).toBe('2025-03-14T09:27:00.000Z');
    expect(order?.history).toEqual([
      expect.objectContaining({ status: 'PENDING', reason: 'placed' }),
      { status: 'CONFIRMED', at: '2025-03-14T09:27:00.000Z', reason: 'PaymentAuthorized', eventId: authorized.metadata.eventId },
    ]);
    expect(store.emitted().at(-1)).toEqual({
      detailType: 'OrderConfirmed',
      detail: {
        metadata: expect.objectContaining({ correlationId: orderId, causationId: authorized.metadata.eventId }),
        data: { orderId, customerId: 'cust-7f3a21', total: { amountCents: 3295, currency: 'USD' } },
      },
    });
  });

  it.each([
    ['InventoryRejected', 'OUT_OF_STOCK', sagaEvents.inventoryRejected],
    ['PaymentDeclined', 'PAYMENT_DECLINED', sagaEvents.paymentDeclined],
  ] as const)('cancels a pending order on %s with reason %s and emits OrderCancelled', async (_, reason, makeEvent) => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const event = makeEvent(orderId);

    const outcome = await applySagaEvent(event, sagaPorts(store));

    expect(outcome).toBe('order CANCELLED');
    expect(store.orders.get(orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: reason });
    expect(store.orders.get(orderId)?.history.at(-1)).toEqual({ status: 'CANCELLED', at: '2025-03-14T09:27:00.000Z', reason, eventId: event.metadata.eventId });
    expect(store.emitted().at(-1)).toEqual({
      detailType: 'OrderCancelled',
      detail: {
        metadata: expect.objectContaining({ causationId: event.metadata.eventId }),
        data: { orderId, customerId: 'cust-7f3a21', reason },
      },
    });
  });

  it('ignores a duplicate of the event that already moved the order', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const authorized = sagaEvents.paymentAuthorized(orderId, 3295);
    await applySagaEvent(authorized, sagaPorts(store));

    const outcome = await applySagaEvent(authorized, sagaPorts(store));

    expect(outcome).toBe('ignored PaymentAuthorized: order is already CONFIRMED');
    expect(store.orders.get(orderId)?.history).toHaveLength(2);
    expect(store.emitted().map((event) => event.detailType)).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });

  it('never resurrects a cancelled order on a late PaymentAuthorized', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    await applySagaEvent(sagaEvents.inventoryRejected(orderId), sagaPorts(store));

    const outcome = await applySagaEvent(sagaEvents.paymentAuthorized(orderId, 3295), sagaPorts(store));

    expect(outcome).toBe('ignored PaymentAuthorized: order is already CANCELLED');
    expect(store.orders.get(orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    expect(store.emitted().map((event) => event.detailType)).toEqual(['OrderPlaced', 'OrderCancelled']);
  });

  it('ignores its event when another event moved the order between the read and the write', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const clock = tickingClock();
    let raced = false;
    const racingRepository = {
      ...store.repository,
      transition: async (...args: Parameters<typeof store.repository.transition>) => {
        if (!raced) {
          raced = true;
          await applySagaEvent(sagaEvents.paymentDeclined(orderId), { orders: store.repository, clock });
        }
        return store.repository.transition(...args);
      },
    };

    const outcome = await applySagaEvent(sagaEvents.paymentAuthorized(orderId, 3295), { orders: racingRepository, clock });

    expect(outcome).toBe('ignored PaymentAuthorized: order is already CANCELLED');
    expect(store.orders.get(orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    expect(store.emitted().map((event) => event.detailType)).toEqual(['OrderPlaced', 'OrderCancelled']);
  });

  it('fails with UnknownOrderError for an order it does not know', async () => {
    const store = inMemoryOrders();

    const act = applySagaEvent(sagaEvents.paymentDeclined('6a03d7b1-e582-49ec-af65-6ee7b8b96479'), sagaPorts(store));

    await expect(act).rejects.toThrow(UnknownOrderError);
  });
});
