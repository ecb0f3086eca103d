import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrderView } from '../../cli/api-client';
import { readTopology } from '../../cli/targets';
import { orderTimedOutEventId } from '../../functions/orders/domain/order';
import { regionOf } from '../../lib/topology';
import { eventually, netChargeCents, System } from './helpers/system';

/**
 * The saga deadline and its compensations on a deployed system, with real
 * partitions between the regions (a forwarder's event source mapping turned
 * off, its queue buffering). Needs the local cloud, which the suite's global
 * setup starts and deploys with a 30 s deadline and a 10 s sweep grace
 * (local/deploy.ts); DUCKSTORE_TARGET=localstack|aws runs it elsewhere.
 *
 * Every test ends with its orders terminal, every queue drained, every DLQ
 * empty and each context's rows checked, so an audit run after any of them
 * has nothing to report.
 */
let system: System;

beforeAll(async () => {
  system = await System.connect();
});

const uniqueCustomer = (label: string) => `e2e-${label}-${randomUUID().slice(0, 8)}`;
/** The one SKU these tests use, so its stock before and after says whether anything is still held. */
const sku = 'DUCK-ASTRO';
const unitPriceCents = 1499;
/** With payments next to orders there is no forwarder to hold PaymentAuthorized back without stopping OrderTimedOut too. */
const oneRegion = regionOf(readTopology(), 'payments') === regionOf(readTopology(), 'orders');

/** Waits past the order's own deadline (plus the sweep's grace and tick when `viaSweep`) for it to end. */
async function terminalAfterDeadline(orderId: string, options: { viaSweep?: boolean } = {}): Promise<OrderView> {
  const { deadline } = await system.api.getOrder(orderId);
  // Timer: ministack fires on a 10 s tick, AWS within the minute. Sweep: grace, then up to one rate(1 minute) tick.
  const slackMs = options.viaSweep ? 140_000 : 70_000;
  return system.api.waitForTerminal(orderId, { timeoutMs: Math.max(0, Date.parse(deadline) - Date.now()) + slackMs, intervalMs: 1_000 });
}

async function eventuallyRow(context: 'inventory' | 'payments', pk: string, statuses: string[], timeoutMs = 60_000) {
  return eventually(async () => {
    const row = await system.row(context, pk);
    return statuses.includes(String(row?.status)) ? row : undefined;
  }, timeoutMs);
}

/** Nothing left anywhere: every queue empty with nothing in flight, every DLQ empty. */
async function expectEverythingDelivered() {
  const depths = await system.drained();
  expect(depths.filter((queue) => queue.isDeadLetterQueue && queue.visible + queue.inFlight > 0), 'non-empty DLQs').toEqual([]);
}

/**
 * The end state of an order cancelled at its deadline, in every context:
 * orders CANCELLED (SAGA_DEADLINE, by the order's one OrderTimedOut, never
 * CONFIRMED on the way), no deadline timer left, inventory RELEASED with the
 * stock back, payments compensated (`paymentStatuses`), the provider holding
 * nothing, one cancellation notification.
 */
async function expectCancelledAtDeadlineEverywhere(orderId: string, stockBefore: number, paymentStatuses: string[]) {
  const order = await system.api.getOrder(orderId);
  expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE' });
  expect(order.history.map((entry) => entry.status)).toEqual(['PENDING', 'CANCELLED']);
  expect(order.history[1]).toMatchObject({ reason: 'SAGA_DEADLINE', eventId: orderTimedOutEventId(orderId) });
  expect(await eventually(async () => ((await system.timer(orderId)) ? undefined : true))).toBe(true);

  expect(await system.row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'RELEASED' });
  expect(await system.available(sku)).toBe(stockBefore);

  expect(paymentStatuses).toContain((await system.row('payments', `PAYMENT#${orderId}`))?.status);
  expect(netChargeCents(await system.ledger(orderId))).toBe(0);

  const notifications = await system.rows('notifications', (row) => row.orderId === orderId);
  expect(notifications.map((row) => [row.state, row.status])).toEqual([['CANCELLED', 'SENT']]);
}

describe('saga deadline', () => {
  it(
    'cancels an order stalled by a partition at its deadline, releases its stock, and charges nothing once the partition heals',
    async () => {
      const stockBefore = await system.available(sku);
      const partition = await system.partition('orders', 'payments');
      let orderId: string;
      try {
        ({ orderId } = await system.api.placeOrder({ customerId: uniqueCustomer('deadline'), items: [{ sku, quantity: 1 }] }));

        const order = await terminalAfterDeadline(orderId);

        expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE' });
        expect(await eventuallyRow('inventory', `RESERVATION#${orderId}`, ['RELEASED'])).toBeDefined();
        expect(await system.available(sku)).toBe(stockBefore);
        // The deadline, not payments, ended it: payments has heard nothing yet.
        expect(await system.row('payments', `PAYMENT#${orderId}`), partition.description).toBeUndefined();
      } finally {
        await partition.heal();
      }

      // Buffered InventoryReserved and OrderCancelled now reach payments in either order, both past the deadline: a void,
      // or a decline payments gives itself (DEADLINE_PASSED). Either way the provider is never asked (invariant 8).
      expect(await eventuallyRow('payments', `PAYMENT#${orderId}`, ['CANCELLED', 'DECLINED'])).toBeDefined();
      await expectEverythingDelivered();
      await expectCancelledAtDeadlineEverywhere(orderId, stockBefore, ['CANCELLED', 'DECLINED']);
      expect(await system.ledger(orderId)).toEqual([]);
    },
    240_000,
  );

  it.skipIf(oneRegion)(
    'refunds a payment authorized before the deadline, and a PaymentAuthorized arriving after the cancellation never confirms the order',
    async () => {
      const stockBefore = await system.available(sku);
      // Payments can authorize, but its answer cannot come back before the deadline.
      const partition = await system.partition('payments', 'orders');
      let orderId: string;
      try {
        ({ orderId } = await system.api.placeOrder({ customerId: uniqueCustomer('late-auth'), items: [{ sku, quantity: 2 }] }));
        expect(await eventuallyRow('payments', `PAYMENT#${orderId}`, ['AUTHORIZED'])).toMatchObject({ amount: { amountCents: 2 * unitPriceCents } });

        const order = await terminalAfterDeadline(orderId);

        expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE' });
        // OrderCancelled crossed the healthy direction: the authorization is given back before PaymentAuthorized is even delivered.
        expect(await eventuallyRow('payments', `PAYMENT#${orderId}`, ['REFUNDED'])).toBeDefined();
        expect((await system.ledger(orderId)).map((entry) => entry.status)).toEqual(['REFUNDED']);
      } finally {
        await partition.heal();
      }

      await expectEverythingDelivered();
      await expectCancelledAtDeadlineEverywhere(orderId, stockBefore, ['REFUNDED']);
    },
    240_000,
  );

  it(
    'cancels an order whose deadline timer was lost, through the deadline sweep',
    async () => {
      const stockBefore = await system.available(sku);
      const partition = await system.partition('orders', 'payments');
      let orderId: string;
      try {
        ({ orderId } = await system.api.placeOrder({ customerId: uniqueCustomer('sweep'), items: [{ sku, quantity: 1 }] }));
        expect(await eventually(() => system.timer(orderId)), 'the deadline timer is set from OrderPlaced').toBeDefined();
        await system.loseTimer(orderId);

        const order = await terminalAfterDeadline(orderId, { viaSweep: true });

        expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE' });
        expect(Date.parse(order.updatedAt)).toBeGreaterThan(Date.parse(order.deadline));
        expect(await eventuallyRow('inventory', `RESERVATION#${orderId}`, ['RELEASED'])).toBeDefined();
      } finally {
        await partition.heal();
      }

      // As above: past the deadline payments voids or declines by itself, and never asks the provider.
      expect(await eventuallyRow('payments', `PAYMENT#${orderId}`, ['CANCELLED', 'DECLINED'])).toBeDefined();
      await expectEverythingDelivered();
      await expectCancelledAtDeadlineEverywhere(orderId, stockBefore, ['CANCELLED', 'DECLINED']);
      expect(await system.ledger(orderId)).toEqual([]);
    },
    300_000,
  );
});

describe('a partition that heals before the deadline', () => {
  it(
    'loses nothing: orders placed during it confirm once it heals, every queue drains and every DLQ stays empty',
    async () => {
      const stockBefore = await system.available(sku);
      const partition = await system.partition('orders', 'payments');
      let orderIds: string[];
      try {
        orderIds = (
          await Promise.all([1, 2, 3].map((n) => system.api.placeOrder({ customerId: uniqueCustomer(`heal-${n}`), items: [{ sku, quantity: 1 }] })))
        ).map((placed) => placed.orderId);
        // Reserved, then stuck at the partition: the forwarding queue holds what payments has not seen.
        for (const orderId of orderIds) expect(await eventuallyRow('inventory', `RESERVATION#${orderId}`, ['HELD'])).toBeDefined();
        const buffered = await eventually(async () => {
          const waiting = (await system.queues()).filter((queue) => queue.name.includes('Forward') && queue.region === system.region('orders') && queue.visible > 0);
          return waiting.length > 0 ? waiting : undefined;
        });
        expect(buffered, partition.description).toBeDefined();
        expect(await Promise.all(orderIds.map((orderId) => system.row('payments', `PAYMENT#${orderId}`)))).toEqual([undefined, undefined, undefined]);
      } finally {
        await partition.heal();
      }

      const orders = await Promise.all(orderIds.map((orderId) => system.api.waitForTerminal(orderId, { timeoutMs: 60_000 })));
      expect(orders.map((order) => order.status)).toEqual(['CONFIRMED', 'CONFIRMED', 'CONFIRMED']);
      await expectEverythingDelivered();
      for (const orderId of orderIds) {
        expect((await system.api.getOrder(orderId)).history.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED']);
        expect(await system.timer(orderId), 'the deadline timer of a confirmed order is cleared').toBeUndefined();
        expect(await system.row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'HELD' });
        expect(await system.row('payments', `PAYMENT#${orderId}`)).toMatchObject({ status: 'AUTHORIZED' });
        expect(netChargeCents(await system.ledger(orderId))).toBe(unitPriceCents);
        const notifications = await system.rows('notifications', (row) => row.orderId === orderId);
        expect(notifications.map((row) => [row.state, row.status])).toEqual([['CONFIRMED', 'SENT']]);
      }
      expect(await system.available(sku)).toBe(stockBefore - 3);
    },
    180_000,
  );
});
