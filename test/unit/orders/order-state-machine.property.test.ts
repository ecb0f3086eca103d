import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '#contracts/primitives';
import type { SagaEvent } from '../../../functions/orders/domain/order';
import { applySagaEvent, placeOrder } from '../../../functions/orders/domain/use-cases';
import { inMemoryOrders, inMemoryTimers, tickingClock } from '../../helpers/orders-fake-repository';
import { sagaEvents } from '../../helpers/orders-saga-events';

type Outcome = 'InventoryRejected' | 'PaymentAuthorized' | 'PaymentDeclined' | 'OrderTimedOut';

const outcomeEvent: Record<Outcome, (orderId: string) => SagaEvent> = {
  InventoryRejected: (orderId) => sagaEvents.inventoryRejected(orderId),
  PaymentAuthorized: (orderId) => sagaEvents.paymentAuthorized(orderId, 3295),
  PaymentDeclined: (orderId) => sagaEvents.paymentDeclined(orderId),
  // Always the same eventId for one order: two of them in `distinct` are the timer and the sweep's copy.
  OrderTimedOut: (orderId) => sagaEvents.orderTimedOut(orderId),
};

const expectedEnd: Record<Outcome, { status: OrderStatus; cancellationReason?: string; terminalEvent: string }> = {
  InventoryRejected: { status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK', terminalEvent: 'OrderCancelled' },
  PaymentAuthorized: { status: 'CONFIRMED', terminalEvent: 'OrderConfirmed' },
  PaymentDeclined: { status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED', terminalEvent: 'OrderCancelled' },
  OrderTimedOut: { status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE', terminalEvent: 'OrderCancelled' },
};

const rank: Record<OrderStatus, number> = { PENDING: 0, CONFIRMED: 1, CANCELLED: 1 };

/**
 * A few distinct events (each with its own eventId) and a delivery sequence
 * that picks among them with repetition: duplicates are redeliveries of the
 * very same event, as SQS and an archive replay produce them.
 */
const deliveries = fc
  .array(fc.constantFrom<Outcome>('InventoryRejected', 'PaymentAuthorized', 'PaymentDeclined', 'OrderTimedOut'), { minLength: 1, maxLength: 4 })
  .chain((distinct) => fc.tuple(fc.constant(distinct), fc.array(fc.nat({ max: distinct.length - 1 }), { minLength: 1, maxLength: 12 })));

/** A fresh store holding one PENDING order, and the distinct outcome events for it. */
async function pendingOrder(distinct: Outcome[], items: { sku: string; quantity: number }[], idempotencyKey: string) {
  const clock = tickingClock();
  const store = inMemoryOrders({ clock });
  const timers = inMemoryTimers();
  const ports = { orders: store.repository, clock, timers: timers.timers };
  // A deadline that has passed by the first delivery: OrderTimedOut is then what a timer delivers, at or after the deadline.
  const { orderId } = await placeOrder({ request: { customerId: 'cust-7f3a21', items }, idempotencyKey, principal: 'cognito-sub-7f3a21' }, { ...ports, sagaDeadlineSeconds: 0 });
  return { store, timers, ports, orderId, events: distinct.map((outcome) => outcomeEvent[outcome](orderId)) };
}

describe('the order state machine', () => {
  it('ends in the terminal state of the first outcome (the deadline included), emits one terminal event, clears its timer once and only moves forward', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async ([distinct, sequence]) => {
        const { store, timers, ports, orderId, events } = await pendingOrder(distinct, [{ sku: 'DUCK-PIRATE', quantity: 2 }, { sku: 'DUCK-CLASSIC', quantity: 3 }], 'checkout-7f3a21-0001');
        const statuses: OrderStatus[] = ['PENDING'];

        for (const pick of sequence) {
          await applySagaEvent(events[pick]!, ports);
          statuses.push(store.orders.get(orderId)!.status);
        }

        const first = expectedEnd[distinct[sequence[0]!]!];
        const order = store.orders.get(orderId)!;
        expect(order.status).toBe(first.status);
        expect(order.cancellationReason).toBe(first.cancellationReason);
        expect(statuses.slice(1).every((status) => status === first.status)).toBe(true);
        const terminalEvents = store.emitted().filter(({ detailType }) => detailType === 'OrderConfirmed' || detailType === 'OrderCancelled');
        expect(terminalEvents.map(({ detailType }) => detailType)).toEqual([first.terminalEvent]);
        expect(timers.cleared).toEqual([orderId]);
        expect(order.history.map((entry) => entry.status)).toEqual(['PENDING', first.status]);
        order.history.slice(1).forEach((entry, n) => {
          const previous = order.history[n]!;
          expect(rank[entry.status]).toBeGreaterThan(rank[previous.status]);
          expect(Date.parse(entry.at)).toBeGreaterThan(Date.parse(previous.at));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('emits exactly one terminal event when the same deliveries race each other', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async ([distinct, sequence]) => {
        const { store, timers, ports, orderId, events } = await pendingOrder(distinct, [{ sku: 'DUCK-NINJA', quantity: 1 }], 'checkout-7f3a21-0002');

        // Every delivery reads the PENDING order before any of them writes: only the conditional write decides.
        await Promise.all(sequence.map((pick) => applySagaEvent(events[pick]!, ports)));

        const order = store.orders.get(orderId)!;
        const terminalEvents = store.emitted().filter(({ detailType }) => detailType === 'OrderConfirmed' || detailType === 'OrderCancelled');
        const delivered = new Set(sequence.map((pick) => expectedEnd[distinct[pick]!].status));
        expect(terminalEvents).toHaveLength(1);
        expect(timers.cleared).toEqual([orderId]);
        expect(delivered).toContain(order.status);
        expect(order.history.map((entry) => entry.status)).toEqual(['PENDING', order.status]);
      }),
      { numRuns: 200 },
    );
  });
});
