import { describe, expect, it } from 'vitest';
import type { PlaceOrderRequest } from '#contracts/api';
import { deadlinePassedDeclineReason, OrderPlaced, PaymentDeclined } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
import { eventDetail } from '../../helpers/events-envelope';
import { orderTimedOutEventId, UnknownSkuError } from '../../../functions/orders/domain/order';
import {
  applySagaEvent,
  armDeadline,
  DeadlineNotReachedError,
  IdempotencyKeyReusedError,
  minimumTimerLeadSeconds,
  placeOrder,
  requestHash,
  sweepOverdueOrders,
  UnknownOrderError,
} from '../../../functions/orders/domain/use-cases';
import { fixedClock, inMemoryOrders, inMemoryTimers, tickingClock, type InMemoryOrders } from '../../helpers/orders-fake-repository';
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
  const ports = { orders: store.repository, clock: fixedClock(), newId: sequentialIds(), sagaDeadlineSeconds: 300 };
  return { store, ports, place: (command: Partial<Parameters<typeof placeOrder>[0]> = {}) => placeOrder({ request, idempotencyKey, principal, ...command }, ports) };
}

async function placedOrder(store: InMemoryOrders) {
  const { orderId } = await placing(store).place();
  return orderId;
}

describe('placeOrder', () => {
  it('keeps the principal and sets the deadline on the order row, and announces the deadline in OrderPlaced', async () => {
    const { store, place } = placing();

    const { orderId } = await place();

    expect(store.orders.get(orderId)).toMatchObject({ principal, idempotencyKey, createdAt: '2025-03-14T09:26:53.589Z', deadline: '2025-03-14T09:31:53.589Z' });
    expect(store.emitted()[0]?.detail.data).toMatchObject({ deadline: '2025-03-14T09:31:53.589Z' });
  });

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
  // Past the orders' deadline (placed 09:26:53.589, 300 s): a timer only delivers OrderTimedOut then.
  const sagaPorts = (store: InMemoryOrders, timers = inMemoryTimers()) => ({ orders: store.repository, clock: fixedClock('2025-03-14T09:32:00.000Z'), timers: timers.timers });

  it('confirms a pending order on PaymentAuthorized and emits OrderConfirmed caused by that event', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const authorized = sagaEvents.paymentAuthorized(orderId, 3295);

    const outcome = await applySagaEvent(authorized, sagaPorts(store));

    expect(outcome).toBe('order CONFIRMED');
    const order = store.orders.get(orderId);
    expect(order?.status).toBe('CONFIRMED');
    expect(order?.updatedAt).toBe('2025-03-14T09:32:00.000Z');
    expect(order?.history).toEqual([
      expect.objectContaining({ status: 'PENDING', reason: 'placed' }),
      { status: 'CONFIRMED', at: '2025-03-14T09:32:00.000Z', reason: 'PaymentAuthorized', eventId: authorized.metadata.eventId },
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
    ['OrderTimedOut', 'SAGA_DEADLINE', (orderId: string) => sagaEvents.orderTimedOut(orderId)],
  ] as const)('cancels a pending order on %s with reason %s and emits OrderCancelled', async (_, reason, makeEvent) => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const event = makeEvent(orderId);

    const outcome = await applySagaEvent(event, sagaPorts(store));

    expect(outcome).toBe('order CANCELLED');
    expect(store.orders.get(orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: reason });
    expect(store.orders.get(orderId)?.history.at(-1)).toEqual({ status: 'CANCELLED', at: '2025-03-14T09:32:00.000Z', reason, eventId: event.metadata.eventId });
    expect(store.emitted().at(-1)).toEqual({
      detailType: 'OrderCancelled',
      detail: {
        metadata: expect.objectContaining({ causationId: event.metadata.eventId }),
        data: { orderId, customerId: 'cust-7f3a21', reason },
      },
    });
  });

  it('cancels for the deadline (SAGA_DEADLINE) when payments declined by itself because the deadline was too close', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);

    await applySagaEvent(eventDetail(PaymentDeclined, { orderId, reason: deadlinePassedDeclineReason }), sagaPorts(store));

    expect(store.orders.get(orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE' });
  });

  it('refuses, for a retry, a deadline timer that fires before the deadline, and moves nothing', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);

    const early = applySagaEvent(sagaEvents.orderTimedOut(orderId), { ...sagaPorts(store), clock: fixedClock('2025-03-14T09:31:50.000Z') });

    await expect(early).rejects.toBeInstanceOf(DeadlineNotReachedError);
    expect(store.orders.get(orderId)?.status).toBe('PENDING');
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
          await applySagaEvent(sagaEvents.paymentDeclined(orderId), { orders: store.repository, clock, timers: inMemoryTimers().timers });
        }
        return store.repository.transition(...args);
      },
    };

    const outcome = await applySagaEvent(sagaEvents.paymentAuthorized(orderId, 3295), { orders: racingRepository, clock, timers: inMemoryTimers().timers });

    expect(outcome).toBe('ignored PaymentAuthorized: order is already CANCELLED');
    expect(store.orders.get(orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    expect(store.emitted().map((event) => event.detailType)).toEqual(['OrderPlaced', 'OrderCancelled']);
  });

  it('fails with UnknownOrderError for an order it does not know', async () => {
    const store = inMemoryOrders();

    const act = applySagaEvent(sagaEvents.paymentDeclined('6a03d7b1-e582-49ec-af65-6ee7b8b96479'), sagaPorts(store));

    await expect(act).rejects.toThrow(UnknownOrderError);
  });

  it.each([
    ['CONFIRMED', (orderId: string) => sagaEvents.paymentAuthorized(orderId, 3295)],
    ['CANCELLED', (orderId: string) => sagaEvents.orderTimedOut(orderId)],
  ] as const)('clears the deadline timer once the order is %s', async (_, makeEvent) => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const timers = inMemoryTimers();

    await applySagaEvent(makeEvent(orderId), sagaPorts(store, timers));

    expect(timers.cleared).toEqual([orderId]);
  });

  it('leaves the timer alone when the event moves nothing', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const timers = inMemoryTimers();
    await applySagaEvent(sagaEvents.inventoryRejected(orderId), sagaPorts(store, timers));

    await applySagaEvent(sagaEvents.orderTimedOut(orderId), sagaPorts(store, timers));

    expect(timers.cleared).toEqual([orderId]);
  });

  it('keeps the move when clearing the timer fails, and says so: the timer only fires into a terminal order', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const timers = inMemoryTimers();
    timers.failClears();

    const outcome = await applySagaEvent(sagaEvents.paymentDeclined(orderId), sagaPorts(store, timers));

    expect(outcome).toMatch(/^order CANCELLED; its deadline timer stays .*ThrottlingException/);
    expect(store.orders.get(orderId)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    const late = await applySagaEvent(sagaEvents.orderTimedOut(orderId), sagaPorts(store));
    expect(late).toBe('ignored OrderTimedOut: order is already CANCELLED');
  });

  it('never cancels a confirmed order when its deadline timer fires late', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    await applySagaEvent(sagaEvents.paymentAuthorized(orderId, 3295), sagaPorts(store));

    const outcome = await applySagaEvent(sagaEvents.orderTimedOut(orderId), sagaPorts(store));

    expect(outcome).toBe('ignored OrderTimedOut: order is already CONFIRMED');
    expect(store.emitted().map((event) => event.detailType)).toEqual(['OrderPlaced', 'OrderConfirmed']);
  });
});

describe('armDeadline', () => {
  const placedEvent = (store: InMemoryOrders) => store.emitted().find((event) => event.detailType === 'OrderPlaced')!.detail as EventDetail<typeof OrderPlaced>;
  const armPorts = (store: InMemoryOrders, timers = inMemoryTimers(), now = '2025-03-14T09:26:54.000Z') => ({ orders: store.repository, timers: timers.timers, clock: fixedClock(now), region: 'us-east-1' });

  it('sets a timer at the deadline that delivers the order\u2019s OrderTimedOut, caused by OrderPlaced', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const timers = inMemoryTimers();
    const placed = placedEvent(store);

    const outcome = await armDeadline(placed, armPorts(store, timers));

    expect(outcome).toBe('deadline timer set for 2025-03-14T09:31:53.589Z');
    const timer = timers.pending.get(orderId);
    expect(timer?.fireAt).toEqual(new Date('2025-03-14T09:31:53.589Z'));
    expect(timer?.event).toEqual({
      metadata: expect.objectContaining({ eventId: orderTimedOutEventId(orderId), type: 'OrderTimedOut', correlationId: orderId, causationId: placed.metadata.eventId, occurredAt: '2025-03-14T09:31:53.589Z' }),
      data: { orderId, deadline: '2025-03-14T09:31:53.589Z' },
    });
  });

  it('treats a timer that already exists as set (a redelivered OrderPlaced)', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const timers = inMemoryTimers();
    await armDeadline(placedEvent(store), armPorts(store, timers));

    const outcome = await armDeadline(placedEvent(store), armPorts(store, timers));

    expect(outcome).toBe('deadline timer was already set');
    expect([...timers.pending.keys()]).toEqual([orderId]);
  });

  it('sets no timer for an order that is already terminal', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const timers = inMemoryTimers();
    await applySagaEvent(sagaEvents.inventoryRejected(orderId), { orders: store.repository, clock: fixedClock(), timers: timers.timers });

    const outcome = await armDeadline(placedEvent(store), armPorts(store, timers));

    expect(outcome).toBe('no deadline timer: order is already CANCELLED');
    expect(timers.pending.size).toBe(0);
  });

  it('fires a few seconds from now when OrderPlaced arrives after the deadline', async () => {
    const store = inMemoryOrders();
    const orderId = await placedOrder(store);
    const timers = inMemoryTimers();

    await armDeadline(placedEvent(store), armPorts(store, timers, '2025-03-14T10:00:00.000Z'));

    expect(timers.pending.get(orderId)?.fireAt).toEqual(new Date(Date.parse('2025-03-14T10:00:00.000Z') + minimumTimerLeadSeconds * 1000));
    expect(timers.pending.get(orderId)?.event.data.deadline).toBe('2025-03-14T09:31:53.589Z');
  });

  it('fails (for SQS to retry) when the timer cannot be set', async () => {
    const store = inMemoryOrders();
    await placedOrder(store);
    const timers = inMemoryTimers();
    timers.failSets();

    await expect(armDeadline(placedEvent(store), armPorts(store, timers))).rejects.toThrow(/ThrottlingException/);
  });

  it('fails with UnknownOrderError for an OrderPlaced of an order it does not have', async () => {
    const store = inMemoryOrders();
    await placedOrder(store);
    const placed = placedEvent(store);

    const act = armDeadline({ ...placed, data: { ...placed.data, orderId: '6a03d7b1-e582-49ec-af65-6ee7b8b96479' } }, armPorts(inMemoryOrders()));

    await expect(act).rejects.toThrow(UnknownOrderError);
  });
});

describe('sweepOverdueOrders', () => {
  /** Orders placed one minute apart from 09:26:53.589Z, so their deadlines (5 min each) are one minute apart too. */
  async function ordersPlacedAMinuteApart(count: number) {
    const store = inMemoryOrders();
    const ids: string[] = [];
    for (let n = 0; n < count; n++) {
      const at = new Date(Date.parse('2025-03-14T09:26:53.589Z') + n * 60_000).toISOString();
      const { orderId } = await placeOrder(
        { request, idempotencyKey: `checkout-7f3a21-sweep-${n}`, principal },
        { orders: store.repository, clock: fixedClock(at), sagaDeadlineSeconds: 300, newId: () => `00000000-0000-4000-8000-${String(n + 1).padStart(12, '0')}` },
      );
      ids.push(orderId);
    }
    return { store, ids };
  }
  const sweepPorts = (store: InMemoryOrders, now: string, timers = inMemoryTimers()) => ({
    orders: store.repository,
    overdue: store.overdue,
    timers: timers.timers,
    clock: fixedClock(now),
    region: 'us-east-1',
  });

  it('cancels the PENDING orders past deadline plus grace with SAGA_DEADLINE, and only those', async () => {
    const { store, ids } = await ordersPlacedAMinuteApart(3);

    // Deadlines 09:31:53.589, 09:32:53.589, 09:33:53.589; cutoff = 09:34:00 - 60 s = 09:33:00.
    const report = await sweepOverdueOrders(sweepPorts(store, '2025-03-14T09:34:00.000Z'), { graceSeconds: 60, limit: 100 });

    expect(report).toEqual({ cutoff: '2025-03-14T09:33:00.000Z', examined: 2, cancelled: 2, alreadyMoved: 0, failed: [] });
    expect(ids.map((id) => store.orders.get(id)?.status)).toEqual(['CANCELLED', 'CANCELLED', 'PENDING']);
    expect(store.orders.get(ids[0]!)).toMatchObject({ cancellationReason: 'SAGA_DEADLINE' });
    expect(store.emitted().filter((event) => event.detailType === 'OrderCancelled').map((event) => event.detail.data)).toEqual([
      { orderId: ids[0], customerId: 'cust-7f3a21', reason: 'SAGA_DEADLINE' },
      { orderId: ids[1], customerId: 'cust-7f3a21', reason: 'SAGA_DEADLINE' },
    ]);
  });

  it('records the same OrderTimedOut eventId as the timer would, so the timer firing later is a duplicate', async () => {
    const { store, ids } = await ordersPlacedAMinuteApart(1);
    const orderId = ids[0]!;

    await sweepOverdueOrders(sweepPorts(store, '2025-03-14T09:40:00.000Z'), { graceSeconds: 60, limit: 100 });
    const timerFires = await applySagaEvent(sagaEvents.orderTimedOut(orderId), sweepPorts(store, '2025-03-14T09:40:01.000Z'));

    expect(store.orders.get(orderId)?.history.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'SAGA_DEADLINE', eventId: orderTimedOutEventId(orderId) });
    expect(timerFires).toBe('ignored OrderTimedOut: order is already CANCELLED');
  });

  it('handles at most `limit` orders per run, oldest deadline first, and the rest in the next runs', async () => {
    const { store, ids } = await ordersPlacedAMinuteApart(5);
    const now = '2025-03-14T10:00:00.000Z';

    const first = await sweepOverdueOrders(sweepPorts(store, now), { graceSeconds: 60, limit: 2 });
    const statusesAfterFirst = ids.map((id) => store.orders.get(id)?.status);
    const second = await sweepOverdueOrders(sweepPorts(store, now), { graceSeconds: 60, limit: 2 });
    const third = await sweepOverdueOrders(sweepPorts(store, now), { graceSeconds: 60, limit: 2 });

    expect([first.cancelled, second.cancelled, third.cancelled]).toEqual([2, 2, 1]);
    expect(statusesAfterFirst).toEqual(['CANCELLED', 'CANCELLED', 'PENDING', 'PENDING', 'PENDING']);
    expect(ids.every((id) => store.orders.get(id)?.status === 'CANCELLED')).toBe(true);
  });

  it('is idempotent: a second run over the same orders changes nothing and emits nothing', async () => {
    const { store } = await ordersPlacedAMinuteApart(2);
    await sweepOverdueOrders(sweepPorts(store, '2025-03-14T10:00:00.000Z'), { graceSeconds: 60, limit: 100 });
    const emitted = store.emitted().length;

    const again = await sweepOverdueOrders(sweepPorts(store, '2025-03-14T10:01:00.000Z'), { graceSeconds: 60, limit: 100 });

    expect(again).toMatchObject({ examined: 0, cancelled: 0 });
    expect(store.emitted()).toHaveLength(emitted);
  });

  it('leaves an order the index still lists but that has moved on (the index lags the table)', async () => {
    const { store, ids } = await ordersPlacedAMinuteApart(1);
    const orderId = ids[0]!;
    const staleIndex = { list: async () => [{ orderId, deadline: store.orders.get(orderId)!.deadline }] };
    await applySagaEvent(sagaEvents.paymentAuthorized(orderId, 3295), sweepPorts(store, '2025-03-14T09:28:00.000Z'));

    const report = await sweepOverdueOrders({ ...sweepPorts(store, '2025-03-14T10:00:00.000Z'), overdue: staleIndex }, { graceSeconds: 60, limit: 100 });

    expect(report).toMatchObject({ examined: 1, cancelled: 0, alreadyMoved: 1 });
    expect(store.orders.get(orderId)?.status).toBe('CONFIRMED');
  });

  it('goes on past an order it cannot handle and reports it', async () => {
    const { store, ids } = await ordersPlacedAMinuteApart(2);
    const missing = '6a03d7b1-e582-49ec-af65-6ee7b8b96479';
    const withGhost = { list: async () => [{ orderId: missing, deadline: '2025-03-14T09:00:00.000Z' }, ...(await store.overdue.list(new Date('2025-03-14T09:59:00.000Z'), 100))] };

    const report = await sweepOverdueOrders({ ...sweepPorts(store, '2025-03-14T10:00:00.000Z'), overdue: withGhost }, { graceSeconds: 60, limit: 100 });

    expect(report.cancelled).toBe(2);
    expect(report.failed).toEqual([{ orderId: missing, error: `no order ${missing}` }]);
    expect(ids.every((id) => store.orders.get(id)?.status === 'CANCELLED')).toBe(true);
  });
});
