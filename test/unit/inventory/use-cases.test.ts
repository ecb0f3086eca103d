import { describe, expect, it } from 'vitest';
import type { ReservationRepository } from '../../../functions/inventory/domain/ports';
import { applyOrderEvent, ReservationContentionError } from '../../../functions/inventory/domain/use-cases';
import { orderCancelled, orderPlaced } from '../../helpers/inventory-events';
import { fixedClock, inMemoryInventory } from '../../helpers/inventory-fake-repository';

const clock = fixedClock();

/**
 * A repository whose first read lets a concurrent delivery run to the end and
 * still answers "no reservation yet", as a read that lost the race to it would.
 */
function firstReadLosesTo(repository: ReservationRepository, concurrent: () => Promise<unknown>): ReservationRepository {
  let reads = 0;
  return {
    ...repository,
    async get(orderId) {
      if (reads++ === 0) {
        await concurrent();
        return undefined;
      }
      return repository.get(orderId);
    },
  };
}

describe('applyOrderEvent on OrderPlaced', () => {
  it('takes the stock, holds it for the order and emits InventoryReserved caused by the event', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10, 'DUCK-PIRATE': 3 });
    const event = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }, { sku: 'DUCK-PIRATE', quantity: 3 }] });

    const outcome = await applyOrderEvent(event, { reservations: inventory.repository, clock });

    expect(outcome).toBe('reserved');
    expect(Object.fromEntries(inventory.stock)).toEqual({ 'DUCK-CLASSIC': 6, 'DUCK-PIRATE': 0 });
    expect(inventory.reservations.get(event.data.orderId)?.status).toBe('HELD');
    expect(inventory.outbox.map((row) => row.detailType)).toEqual(['InventoryReserved']);
    expect(inventory.outbox[0]!.cause).toEqual({ correlationId: event.data.orderId, causationId: event.metadata.eventId, deadline: event.data.deadline });
    expect(inventory.outbox[0]!.detail.data).toMatchObject({ customerId: event.data.customerId, total: event.data.total });
  });

  it('reserves nothing once its saga deadline minus the margin has passed: the order is being cancelled', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const event = orderPlaced();

    const outcome = await applyOrderEvent(event, { reservations: inventory.repository, clock: fixedClock('2025-01-01T12:04:56.000Z') });
    const cancelled = await applyOrderEvent(orderCancelled({ orderId: event.data.orderId, reason: 'SAGA_DEADLINE' }), { reservations: inventory.repository, clock: fixedClock('2025-01-01T12:05:01.000Z') });

    expect(outcome).toMatch(/^ignored OrderPlaced: past its saga deadline/);
    expect(inventory.stock.get('DUCK-CLASSIC')).toBe(10);
    expect(inventory.outbox).toEqual([]);
    expect(cancelled).toBe('voided: cancelled before placed');
  });

  it('rejects the order and takes nothing when one line is short of stock', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10, 'DUCK-LIMITED': 1 });
    const event = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }, { sku: 'DUCK-LIMITED', quantity: 2 }] });

    const outcome = await applyOrderEvent(event, { reservations: inventory.repository, clock });

    expect(outcome).toBe('rejected: DUCK-LIMITED unavailable');
    expect(Object.fromEntries(inventory.stock)).toEqual({ 'DUCK-CLASSIC': 10, 'DUCK-LIMITED': 1 });
    expect(inventory.reservations.get(event.data.orderId)?.status).toBe('REJECTED');
    expect(inventory.outbox.map((row) => row.detail.data)).toEqual([{ orderId: event.data.orderId, unavailable: [{ sku: 'DUCK-LIMITED', requested: 2 }] }]);
  });

  it('treats a SKU without a stock row as unavailable', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const event = orderPlaced({ lines: [{ sku: 'DUCK-ASTRO', quantity: 1 }] });

    const outcome = await applyOrderEvent(event, { reservations: inventory.repository, clock });

    expect(outcome).toBe('rejected: DUCK-ASTRO unavailable');
    expect(inventory.stock.has('DUCK-ASTRO')).toBe(false);
  });

  it('reserves a duplicate delivery only once', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const event = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }] });
    await applyOrderEvent(event, { reservations: inventory.repository, clock });

    const outcome = await applyOrderEvent(event, { reservations: inventory.repository, clock });

    expect(outcome).toBe('ignored OrderPlaced: reservation is already HELD');
    expect(inventory.stock.get('DUCK-CLASSIC')).toBe(6);
    expect(inventory.outbox).toHaveLength(1);
  });

  it('reserves nothing for an order whose cancellation arrived first', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const placed = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }] });
    await applyOrderEvent(orderCancelled({ orderId: placed.data.orderId }), { reservations: inventory.repository, clock });

    const outcome = await applyOrderEvent(placed, { reservations: inventory.repository, clock });

    expect(outcome).toBe('ignored OrderPlaced: reservation is already VOID');
    expect(inventory.stock.get('DUCK-CLASSIC')).toBe(10);
    expect(inventory.outbox).toHaveLength(0);
  });

  it('steps back when a concurrent delivery reserved between its read and its write', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const event = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }] });
    const racing = firstReadLosesTo(inventory.repository, () => applyOrderEvent(event, { reservations: inventory.repository, clock }));

    const outcome = await applyOrderEvent(event, { reservations: racing, clock });

    expect(outcome).toBe('ignored OrderPlaced: reservation is already HELD');
    expect(inventory.stock.get('DUCK-CLASSIC')).toBe(6);
    expect(inventory.outbox).toHaveLength(1);
  });

  it('emits no rejection when a cancellation voided the order while stock was being checked', async () => {
    const inventory = inMemoryInventory({});
    const placed = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });
    const racing: ReservationRepository = {
      ...inventory.repository,
      async reserve(reservation, events, cause) {
        const result = await inventory.repository.reserve(reservation, events, cause);
        await applyOrderEvent(orderCancelled({ orderId: placed.data.orderId }), { reservations: inventory.repository, clock });
        return result;
      },
    };

    const outcome = await applyOrderEvent(placed, { reservations: racing, clock });

    expect(outcome).toBe('ignored OrderPlaced: reservation is already VOID');
    expect(inventory.outbox).toHaveLength(0);
  });

  it('lets a transient failure propagate so that SQS retries the message', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const failing: ReservationRepository = { ...inventory.repository, reserve: () => Promise.reject(throttled) };

    const outcome = applyOrderEvent(orderPlaced(), { reservations: failing, clock });

    await expect(outcome).rejects.toBe(throttled);
  });
});

describe('applyOrderEvent on OrderCancelled', () => {
  it('gives a held reservation back to stock and emits InventoryReleased', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10, 'DUCK-NINJA': 2 });
    const placed = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }, { sku: 'DUCK-NINJA', quantity: 2 }] });
    await applyOrderEvent(placed, { reservations: inventory.repository, clock });
    const cancelled = orderCancelled({ orderId: placed.data.orderId });

    const outcome = await applyOrderEvent(cancelled, { reservations: inventory.repository, clock });

    expect(outcome).toBe('released');
    expect(Object.fromEntries(inventory.stock)).toEqual({ 'DUCK-CLASSIC': 10, 'DUCK-NINJA': 2 });
    const reservation = inventory.reservations.get(placed.data.orderId);
    expect(reservation?.status).toBe('RELEASED');
    expect(reservation?.history?.map((entry) => entry.status)).toEqual(['HELD', 'RELEASED']);
    expect(inventory.outbox.map((row) => row.detailType)).toEqual(['InventoryReserved', 'InventoryReleased']);
    expect(inventory.outbox[1]!.cause).toEqual({ correlationId: placed.data.orderId, causationId: cancelled.metadata.eventId });
  });

  it('releases a duplicate delivery only once', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const placed = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }] });
    const cancelled = orderCancelled({ orderId: placed.data.orderId });
    await applyOrderEvent(placed, { reservations: inventory.repository, clock });
    await applyOrderEvent(cancelled, { reservations: inventory.repository, clock });

    const outcome = await applyOrderEvent(cancelled, { reservations: inventory.repository, clock });

    expect(outcome).toBe('ignored OrderCancelled: reservation is already RELEASED');
    expect(inventory.stock.get('DUCK-CLASSIC')).toBe(10);
  });

  it('voids an order it has not seen yet and emits nothing', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const cancelled = orderCancelled({ orderId: orderPlaced().data.orderId });

    const outcome = await applyOrderEvent(cancelled, { reservations: inventory.repository, clock });

    expect(outcome).toBe('voided: cancelled before placed');
    expect(inventory.reservations.get(cancelled.data.orderId)?.status).toBe('VOID');
    expect(inventory.outbox).toHaveLength(0);
  });

  it('gives nothing back for a rejected order, which held nothing', async () => {
    const inventory = inMemoryInventory({ 'DUCK-LIMITED': 1 });
    const placed = orderPlaced({ lines: [{ sku: 'DUCK-LIMITED', quantity: 2 }] });
    await applyOrderEvent(placed, { reservations: inventory.repository, clock });

    const outcome = await applyOrderEvent(orderCancelled({ orderId: placed.data.orderId, reason: 'OUT_OF_STOCK' }), { reservations: inventory.repository, clock });

    expect(outcome).toBe('ignored OrderCancelled: reservation is already REJECTED');
    expect(inventory.stock.get('DUCK-LIMITED')).toBe(1);
  });

  it('releases what a concurrent OrderPlaced reserved between its read and its void', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const placed = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }] });
    const racing = firstReadLosesTo(inventory.repository, () => applyOrderEvent(placed, { reservations: inventory.repository, clock }));

    const outcome = await applyOrderEvent(orderCancelled({ orderId: placed.data.orderId }), { reservations: racing, clock });

    expect(outcome).toBe('released');
    expect(inventory.stock.get('DUCK-CLASSIC')).toBe(10);
    expect(inventory.reservations.get(placed.data.orderId)?.status).toBe('RELEASED');
  });

  it('hands the message back for a retry when the reservation keeps moving under it', async () => {
    const inventory = inMemoryInventory({ 'DUCK-CLASSIC': 10 });
    const placed = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 4 }] });
    await applyOrderEvent(placed, { reservations: inventory.repository, clock });
    const stale: ReservationRepository = { ...inventory.repository, release: async () => false };

    const outcome = applyOrderEvent(orderCancelled({ orderId: placed.data.orderId }), { reservations: stale, clock });

    await expect(outcome).rejects.toBeInstanceOf(ReservationContentionError);
  });
});
