import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizePayment, cancelPayment, type PaymentPorts } from '../../../functions/payments/domain/use-cases';
import { FakePaymentProvider, fixedClock, InMemoryPaymentRepository, type Fault } from '../../helpers/payments-fakes';
import { inventoryReserved, orderCancelled, type InventoryReservedDetail, type OrderCancelledDetail } from '../../helpers/payments-events';

const orderIds = ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000003'];
/** Enough redeliveries to outlast every injected fault; the scenario's fault list is short and finite. */
const maxReceives = 25;

interface OrderScenario {
  reserved: boolean;
  cancelled: boolean;
  amountCents: number;
  reservedCopies: number;
  cancelledCopies: number;
}

const orderScenario: fc.Arbitrary<OrderScenario> = fc.record({
  reserved: fc.boolean(),
  cancelled: fc.boolean(),
  // Either side of the provider's $1000 limit, so declines race cancellations too.
  amountCents: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 100_001, max: 300_000 })),
  reservedCopies: fc.integer({ min: 1, max: 3 }),
  cancelledCopies: fc.integer({ min: 1, max: 2 }),
});

const scenario = fc.record({
  orders: fc.array(orderScenario, { minLength: 1, maxLength: orderIds.length }),
  faults: fc.array(fc.constantFrom<Fault>('none', 'before', 'after'), { maxLength: 8 }),
});

/** Every port call waits for the scheduler, so concurrent deliveries interleave at every read, write and provider call. */
function scheduled<T extends object>(scheduler: fc.Scheduler, target: T, name: string): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await scheduler.schedule(Promise.resolve(), `${name}.${String(property)}`);
        return (value as (...parameters: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** At-least-once delivery: a failed message comes back, as SQS redelivers it, until it succeeds or would be dead-lettered. */
async function deliver(message: InventoryReservedDetail | OrderCancelledDetail, ports: PaymentPorts): Promise<'handled' | 'dead-lettered'> {
  for (let receive = 1; receive <= maxReceives; receive++) {
    try {
      if (message.metadata.type === 'InventoryReserved') await authorizePayment(message as InventoryReservedDetail, ports);
      else await cancelPayment(message as OrderCancelledDetail, ports);
      return 'handled';
    } catch {
      // Redelivered after the visibility timeout.
    }
  }
  return 'dead-lettered';
}

describe('payments under duplicates, reordering, races and lost answers', () => {
  it('never leaves money held for a cancelled order, and charges each order at most once', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.scheduler(), async ({ orders, faults }, scheduler) => {
        const remainingFaults = [...faults];
        const nextFault = (call: string): Fault => (call.startsWith('provider.') || call.startsWith('payments.') ? (remainingFaults.shift() ?? 'none') : 'none');
        const provider = new FakePaymentProvider({ declineAboveCents: 100_000, faults: nextFault });
        const payments = new InMemoryPaymentRepository(fixedClock(), nextFault);
        const ports: PaymentPorts = { payments: scheduled(scheduler, payments, 'payments'), provider: scheduled(scheduler, provider, 'provider'), clock: fixedClock() };

        const messages = orders.flatMap((order, index) => {
          const orderId = orderIds[index]!;
          // A duplicate is the same event delivered again: same eventId.
          const reserved = inventoryReserved({ orderId, amountCents: order.amountCents });
          const cancelled = orderCancelled({ orderId });
          return [...Array<InventoryReservedDetail>(order.reserved ? order.reservedCopies : 0).fill(reserved), ...Array<OrderCancelledDetail>(order.cancelled ? order.cancelledCopies : 0).fill(cancelled)];
        });

        const outcomes = await scheduler.waitFor(Promise.all(messages.map((message) => deliver(message, ports))));

        expect(outcomes.every((outcome) => outcome === 'handled')).toBe(true);
        orders.forEach((order, index) => {
          const orderId = orderIds[index]!;
          const row = payments.rows.get(orderId);
          const atProvider = [...provider.authorizations.values()].filter((authorization) => authorization.orderId === orderId);
          const authorization = atProvider[0];
          const emitted = (detailType: string) => payments.eventsOf(orderId, detailType);

          expect(atProvider.length).toBeLessThanOrEqual(1);
          expect(emitted('PaymentAuthorized').length).toBeLessThanOrEqual(1);
          expect(emitted('PaymentDeclined').length).toBeLessThanOrEqual(1);
          expect(emitted('PaymentRefunded')).toHaveLength(authorization?.status === 'REFUNDED' ? 1 : 0);
          for (const event of [...emitted('PaymentAuthorized'), ...emitted('PaymentRefunded')]) {
            expect((event.detail.data as { authorizationId: string }).authorizationId).toBe(authorization?.authorizationId);
          }

          if (order.cancelled) {
            expect(provider.heldCents(orderId)).toBe(0);
            expect(row?.status).not.toBe('AUTHORIZED');
          } else if (order.reserved) {
            expect(row?.status).toBe(authorization?.status);
            expect(emitted('PaymentAuthorized').length + emitted('PaymentDeclined').length).toBe(1);
          } else {
            expect(atProvider).toEqual([]);
          }
          if (row?.status === 'AUTHORIZED' || row?.status === 'REFUNDED') {
            expect(row.authorizationId).toBe(authorization?.authorizationId);
            expect(row.status).toBe(authorization?.status);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
