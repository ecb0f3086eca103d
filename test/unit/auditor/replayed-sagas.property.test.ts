import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog, type Sku } from '#contracts/catalog';
import type { ContextName, EventContract, EventDetail } from '#contracts/envelope';
import { subscriptions } from '#contracts/subscriptions';
import { formatAuditReport } from '../../../cli/commands/audit';
import { audit } from '../../../functions/auditor/domain/audit';
import type { AuditSnapshot } from '../../../functions/auditor/domain/snapshot';
import type { InventoryEvent } from '../../../functions/inventory/domain/reservation';
import { applyOrderEvent } from '../../../functions/inventory/domain/use-cases';
import type { TerminalEvent } from '../../../functions/notifications/domain/notification';
import { notifyCustomer } from '../../../functions/notifications/domain/use-cases';
import type { SagaEvent } from '../../../functions/orders/domain/order';
import { applySagaEvent, placeOrder } from '../../../functions/orders/domain/use-cases';
import type { InventoryReservedEvent, OrderCancelledEvent } from '../../../functions/payments/domain/payment';
import { authorizePayment, cancelPayment } from '../../../functions/payments/domain/use-cases';
import { inMemoryInventory } from '../../helpers/inventory-fake-repository';
import { inMemoryNotifications, recordingNotifier } from '../../helpers/notifications-fakes';
import { inMemoryOrders, inMemoryTimers, tickingClock } from '../../helpers/orders-fake-repository';
import { sagaEvents } from '../../helpers/orders-saga-events';
import { FakePaymentProvider, InMemoryPaymentRepository } from '../../helpers/payments-fakes';

type Detail = EventDetail<EventContract>;

const skus = Object.keys(catalog) as Sku[];

const scenarioArb = fc.record({
  // Little stock, so that some orders are rejected; the gold duck is above the provider's limit, so it is declined.
  stock: fc.record(Object.fromEntries(skus.map((sku) => [sku, fc.nat({ max: 6 })])) as Record<Sku, fc.Arbitrary<number>>),
  orders: fc.array(
    fc.record({
      lines: fc.uniqueArray(fc.record({ sku: fc.constantFrom(...skus), quantity: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3, selector: (line) => line.sku }),
      /** Whether, and after how many deliveries, its saga deadline fires. */
      timesOutAfter: fc.option(fc.nat({ max: 12 }), { nil: undefined }),
      /** Whether the client retries the POST with the same key. */
      retried: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  /** Which pending delivery goes next, and whether it is delivered twice (SQS is at least once). */
  schedule: fc.array(fc.record({ pick: fc.nat(), duplicate: fc.boolean() }), { minLength: 1, maxLength: 40 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

/** Who consumes what, from the contracts the CDK rules are built from too. */
const consumersOf = (type: string): ContextName[] =>
  (Object.entries(subscriptions) as [ContextName, readonly EventContract[]][]).filter(([, contracts]) => contracts.some((contract) => contract.detailType === type)).map(([context]) => context);

/**
 * Runs the scenario through the real use cases of every context (each calling
 * its context's `decide`), with in-memory repositories that enforce the
 * adapters' conditions and a bus that delivers every outbox event to its
 * subscribers in a random order, some twice, until nothing is left.
 */
async function replay(scenario: Scenario): Promise<{ snapshot: AuditSnapshot; now: Date }> {
  const clock = tickingClock('2026-11-25T10:00:00.000Z');
  const orders = inMemoryOrders({ clock });
  const timers = inMemoryTimers();
  const inventory = inMemoryInventory({ ...scenario.stock });
  const payments = new InMemoryPaymentRepository(clock);
  const provider = new FakePaymentProvider();
  const notifications = inMemoryNotifications();
  const notifier = recordingNotifier();

  const handlers: Record<ContextName, (event: Detail) => Promise<string>> = {
    orders: (event) => applySagaEvent(event as SagaEvent, { orders: orders.repository, clock, timers: timers.timers }),
    inventory: (event) => applyOrderEvent(event as InventoryEvent, { reservations: inventory.repository, clock }),
    payments: (event) =>
      event.metadata.type === 'InventoryReserved'
        ? authorizePayment(event as InventoryReservedEvent, { payments, provider, clock })
        : cancelPayment(event as OrderCancelledEvent, { payments, provider, clock }),
    notifications: (event) => notifyCustomer(event as TerminalEvent, { notifications: notifications.repository, notifier: notifier.notifier, clock }),
  };

  /** A redelivery is not redelivered again, so the bus always drains. */
  const pending: { context: ContextName; event: Detail; redelivery?: boolean }[] = [];
  const seen = { orders: 0, inventory: 0, payments: 0 };
  const publish = () => {
    const fresh = [
      ...orders.emitted().slice(seen.orders).map((entry) => entry.detail),
      ...inventory.outbox.slice(seen.inventory).map((entry) => entry.detail as Detail),
      ...payments.published.slice(seen.payments).map((entry) => entry.detail),
    ];
    seen.orders = orders.outbox.length;
    seen.inventory = inventory.outbox.length;
    seen.payments = payments.published.length;
    for (const event of fresh) for (const context of consumersOf(event.metadata.type)) pending.push({ context, event });
  };

  const placed: { orderId: string; timesOutAfter: number | undefined }[] = [];
  for (const [index, order] of scenario.orders.entries()) {
    const command = { request: { customerId: `customer-${index}`, items: order.lines }, idempotencyKey: `checkout-${index}-0001`, principal: 'anonymous' };
    const ports = { orders: orders.repository, clock, sagaDeadlineSeconds: 300 };
    const { orderId } = await placeOrder(command, ports);
    if (order.retried) expect((await placeOrder(command, ports)).orderId).toBe(orderId);
    placed.push({ orderId, timesOutAfter: order.timesOutAfter });
  }
  publish();

  for (let step = 0; pending.length > 0; step++) {
    if (step > 400) throw new Error('the sagas did not settle in 400 deliveries');
    for (const { orderId, timesOutAfter } of placed) {
      // The deadline timer: delivered straight to the orders consumer, like EventBridge Scheduler does.
      if (timesOutAfter === step) pending.push({ context: 'orders', event: sagaEvents.orderTimedOut(orderId, orders.orders.get(orderId)!.deadline) as Detail });
    }
    const { pick, duplicate } = scenario.schedule[step % scenario.schedule.length]!;
    const index = pick % pending.length;
    const delivery = pending.splice(index, 1)[0]!;
    // SQS delivers at least once: the same event comes back later, after whatever else happened meanwhile.
    if (duplicate && !delivery.redelivery) pending.push({ ...delivery, redelivery: true });
    await handlers[delivery.context](delivery.event);
    publish();
  }

  const now = new Date(clock.now().getTime() + 3600_000);
  const snapshot: AuditSnapshot = {
    tables: {
      orders: [
        ...[...orders.orders.values()].map((order) => ({ pk: `ORDER#${order.orderId}`, kind: 'order', ...order })),
        ...[...orders.claims].map(([key, claim]) => ({ pk: `IDEMPOTENCY-KEY#${key}`, kind: 'idempotency-key', ...claim })),
      ],
      inventory: [
        ...skus.map((sku) => ({ pk: `SKU#${sku}`, kind: 'stock', sku, available: inventory.stock.get(sku)!, received: scenario.stock[sku] })),
        ...[...inventory.reservations.values()].map((reservation) => ({ pk: `RESERVATION#${reservation.orderId}`, kind: 'reservation', ...reservation })),
      ],
      payments: [...payments.rows.values()].map((payment) => ({ pk: `PAYMENT#${payment.orderId}`, kind: 'payment', ...payment })),
      notifications: [...notifications.rows.values()].map((row) => ({ pk: `NOTIFICATION#${row.orderId}#${row.state}`, kind: 'notification', ...row })),
      ledger: [...provider.authorizations.values()].map((row) => ({
        pk: `AUTH#${row.orderId}`,
        kind: 'authorization',
        idempotencyKey: row.orderId,
        orderId: row.orderId,
        amountCents: row.amount.amountCents,
        currency: row.amount.currency,
        status: row.status,
        authorizationId: row.authorizationId,
        createdAt: clock.now().toISOString(),
      })),
    },
    deadLetterQueues: [],
  };
  return { snapshot, now };
}

describe('the auditor on sagas replayed through the real use cases', () => {
  it('passes every invariant, whatever the delivery order, duplicates, retried POSTs, rejections, declines and deadlines', async () => {
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const { snapshot, now } = await replay(scenario);

        const report = audit(snapshot, { now, outboxBound: 120, grace: 60 });

        expect(report.ok, formatAuditReport(report).join('\n')).toBe(true);
        expect(report.counts.orders.PENDING).toBe(0);
        for (const row of snapshot.tables.orders!) if (row.kind === 'order') outcomes.add(`${String(row.status)} ${String(row.cancellationReason ?? '')}`.trim());
      }),
      { numRuns: 150 },
    );
    // The property means little unless the runs reached every ending.
    expect([...outcomes].sort()).toEqual(['CANCELLED OUT_OF_STOCK', 'CANCELLED PAYMENT_DECLINED', 'CANCELLED SAGA_DEADLINE', 'CONFIRMED']);
  });
});
