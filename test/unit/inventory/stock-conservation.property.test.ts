import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReservationRepository } from '../../../functions/inventory/domain/ports';
import type { InventoryEvent } from '../../../functions/inventory/domain/reservation';
import { applyOrderEvent } from '../../../functions/inventory/domain/use-cases';
import { orderCancelled, orderPlaced } from '../../helpers/inventory-events';
import { fixedClock, inMemoryInventory, type InMemoryInventory } from '../../helpers/inventory-fake-repository';

const clock = fixedClock();
const stockedSkus = ['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-LIMITED'] as const;
/** Never stocked: every order that asks for it must be rejected. */
const unstockedSku = 'DUCK-GOLD';

const initialStockArb = fc.record({
  'DUCK-CLASSIC': fc.nat({ max: 8 }),
  'DUCK-PIRATE': fc.nat({ max: 8 }),
  'DUCK-LIMITED': fc.nat({ max: 2 }),
});

const ordersArb = fc.array(
  // Each SKU once per order, as the OrderPlaced contract requires.
  fc.uniqueArray(fc.record({ sku: fc.constantFrom(...stockedSkus, unstockedSku), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3, selector: (line) => line.sku }),
  { minLength: 1, maxLength: 4 },
);

/** Which order and which of its two events; repeats are redeliveries of the same event. */
const deliveriesArb = fc.array(fc.record({ order: fc.nat({ max: 3 }), type: fc.constantFrom('OrderPlaced', 'OrderCancelled') }), {
  minLength: 1,
  maxLength: 16,
});

interface Scenario {
  events: InventoryEvent[];
  cancelledOrders: Set<string>;
}

function scenario(orders: { sku: string; quantity: number }[][], deliveries: { order: number; type: string }[]): Scenario {
  const placed = orders.map((lines) => orderPlaced({ lines }));
  const cancelled = placed.map((event) => orderCancelled({ orderId: event.data.orderId }));
  const events = deliveries.map(({ order, type }) => {
    const index = order % orders.length;
    return type === 'OrderPlaced' ? placed[index]! : cancelled[index]!;
  });
  const cancelledOrders = new Set(events.filter((event) => event.metadata.type === 'OrderCancelled').map((event) => event.data.orderId));
  return { events, cancelledOrders };
}

function assertInvariants(inventory: InMemoryInventory, initialStock: Record<string, number>, cancelledOrders: Set<string>): void {
  const reservations = [...inventory.reservations.values()];
  for (const sku of stockedSkus) {
    const held = reservations
      .filter((reservation) => reservation.status === 'HELD')
      .flatMap((reservation) => reservation.lines)
      .filter((line) => line.sku === sku)
      .reduce((sum, line) => sum + line.quantity, 0);
    expect(inventory.stock.get(sku), `available ${sku}`).toBeGreaterThanOrEqual(0);
    expect(inventory.stock.get(sku)! + held, `conservation of ${sku}`).toBe(initialStock[sku]);
  }
  expect(inventory.stock.has(unstockedSku)).toBe(false);

  for (const orderId of cancelledOrders) {
    expect(inventory.reservations.get(orderId)?.status, `cancelled order ${orderId}`).toMatch(/^(RELEASED|REJECTED|VOID)$/);
  }

  for (const reservation of reservations) {
    const emitted = (type: string) => inventory.outbox.filter((row) => row.detailType === type && row.cause.correlationId === reservation.orderId).length;
    const reserved = reservation.status === 'HELD' || reservation.status === 'RELEASED';
    expect(emitted('InventoryReserved'), `InventoryReserved for a ${reservation.status} reservation`).toBe(reserved ? 1 : 0);
    expect(emitted('InventoryReleased'), `InventoryReleased for a ${reservation.status} reservation`).toBe(reservation.status === 'RELEASED' ? 1 : 0);
    expect(emitted('InventoryRejected'), `InventoryRejected for a ${reservation.status} reservation`).toBe(reservation.status === 'REJECTED' ? 1 : 0);
  }
}

/** Every repository call waits for the scheduler, so fast-check chooses how concurrent deliveries interleave. */
function scheduled(repository: ReservationRepository, scheduler: fc.Scheduler): ReservationRepository {
  const turn = async <T>(label: string, operation: () => Promise<T>): Promise<T> => {
    await scheduler.schedule(Promise.resolve(), label);
    return operation();
  };
  return {
    get: (orderId) => turn('get', () => repository.get(orderId)),
    reserve: (reservation, events, cause) => turn('reserve', () => repository.reserve(reservation, events, cause)),
    record: (reservation, events, cause) => turn(`record ${reservation.status}`, () => repository.record(reservation, events, cause)),
    release: (reservation, entry, events, cause) => turn('release', () => repository.release(reservation, entry, events, cause)),
  };
}

describe('stock conservation', () => {
  it('holds for any sequence of placements, cancellations and redeliveries', async () => {
    await fc.assert(
      fc.asyncProperty(initialStockArb, ordersArb, deliveriesArb, async (initialStock, orders, deliveries) => {
        const inventory = inMemoryInventory(initialStock);
        const { events, cancelledOrders } = scenario(orders, deliveries);

        for (const event of events) await applyOrderEvent(event, { reservations: inventory.repository, clock });

        assertInvariants(inventory, initialStock, cancelledOrders);
      }),
      { numRuns: 300 },
    );
  });

  it('holds when the same deliveries are processed concurrently in any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), initialStockArb, ordersArb, deliveriesArb, async (scheduler, initialStock, orders, deliveries) => {
        const inventory = inMemoryInventory(initialStock);
        const { events, cancelledOrders } = scenario(orders, deliveries);
        const reservations = scheduled(inventory.repository, scheduler);

        const outcomes = Promise.allSettled(events.map((event) => applyOrderEvent(event, { reservations, clock })));
        await scheduler.waitIdle();
        const settled = await outcomes;

        expect(settled.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
        assertInvariants(inventory, initialStock, cancelledOrders);
      }),
      { numRuns: 300 },
    );
  });
});
