import { describe, expect, it } from 'vitest';
import { InventoryRejected, InventoryReleased, InventoryReserved } from '#contracts/events';
import { decide, rejection, reservationLines, reservationStatuses, type Reservation, type ReservationStatus } from '../../../functions/inventory/domain/reservation';
import { orderCancelled, orderPlaced } from '../../helpers/inventory-events';

const now = new Date('2025-01-01T12:00:05.000Z');

const reservationOf = (orderId: string, status: ReservationStatus): Reservation => ({
  orderId,
  status,
  lines: status === 'VOID' ? [] : [{ sku: 'DUCK-CLASSIC', quantity: 2 }],
  updatedAt: '2025-01-01T12:00:01.000Z',
});

describe('reservationLines', () => {
  it('drops the price: a reservation holds quantities only', () => {
    const [line] = reservationLines(orderPlaced({ lines: [{ sku: 'DUCK-NINJA', quantity: 1 }] }).data.lines);

    expect(line).toEqual({ sku: 'DUCK-NINJA', quantity: 1 });
  });
});

describe('decide on OrderPlaced', () => {
  it('reserves every line of a new order and emits InventoryReserved with the amount to charge', () => {
    const event = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 2 }, { sku: 'DUCK-ASTRO', quantity: 1 }] });

    const decision = decide(undefined, event, now);

    expect(decision.kind).toBe('reserve');
    if (decision.kind !== 'reserve') return;
    const lines = [{ sku: 'DUCK-CLASSIC', quantity: 2 }, { sku: 'DUCK-ASTRO', quantity: 1 }];
    expect(decision.reservation).toEqual({
      orderId: event.data.orderId,
      status: 'HELD',
      lines,
      updatedAt: now.toISOString(),
      history: [{ status: 'HELD', at: now.toISOString(), reason: 'OrderPlaced', eventId: event.metadata.eventId }],
    });
    expect(decision.events).toHaveLength(1);
    expect(decision.events[0]!.contract).toBe(InventoryReserved);
    expect(InventoryReserved.data.parse(decision.events[0]!.data)).toEqual({
      orderId: event.data.orderId,
      customerId: event.data.customerId,
      lines,
      total: event.data.total,
    });
  });

  it.each(reservationStatuses)('ignores the event when the order already has a %s reservation', (status) => {
    const event = orderPlaced();

    const decision = decide(reservationOf(event.data.orderId, status), event, now);

    expect(decision).toEqual({ kind: 'ignore', why: `reservation is already ${status}` });
  });
});

describe('decide on OrderCancelled', () => {
  it('voids an order it has never seen, so that a late OrderPlaced reserves nothing', () => {
    const event = orderCancelled({ orderId: orderPlaced().data.orderId });

    const decision = decide(undefined, event, now);

    expect(decision).toEqual({
      kind: 'void',
      reservation: {
        orderId: event.data.orderId,
        status: 'VOID',
        lines: [],
        updatedAt: now.toISOString(),
        history: [{ status: 'VOID', at: now.toISOString(), reason: 'OrderCancelled', eventId: event.metadata.eventId }],
      },
    });
  });

  it('releases a held reservation and emits InventoryReleased with its lines', () => {
    const held = reservationOf(orderPlaced().data.orderId, 'HELD');
    const event = orderCancelled({ orderId: held.orderId });

    const decision = decide(held, event, now);

    expect(decision.kind).toBe('release');
    if (decision.kind !== 'release') return;
    expect(decision.reservation).toEqual(held);
    expect(decision.entry).toEqual({ status: 'RELEASED', at: now.toISOString(), reason: 'OrderCancelled', eventId: event.metadata.eventId });
    expect(decision.events[0]!.contract).toBe(InventoryReleased);
    expect(InventoryReleased.data.parse(decision.events[0]!.data)).toEqual({ orderId: held.orderId, lines: held.lines });
  });

  it.each(['REJECTED', 'RELEASED', 'VOID'] as const)('ignores the event when the reservation is already %s', (status) => {
    const reservation = reservationOf(orderPlaced().data.orderId, status);

    const decision = decide(reservation, orderCancelled({ orderId: reservation.orderId }), now);

    expect(decision).toEqual({ kind: 'ignore', why: `reservation is already ${status}` });
  });
});

describe('rejection', () => {
  it('lists only the lines that were short of stock, with the quantity requested', () => {
    const event = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 1 }, { sku: 'DUCK-LIMITED', quantity: 3 }] });

    const { events } = rejection(event, ['DUCK-LIMITED'], now);

    expect(events).toHaveLength(1);
    expect(events[0]!.contract).toBe(InventoryRejected);
    expect(InventoryRejected.data.parse(events[0]!.data)).toEqual({ orderId: event.data.orderId, unavailable: [{ sku: 'DUCK-LIMITED', requested: 3 }] });
  });

  it('records a REJECTED reservation that keeps the requested lines for the audit', () => {
    const event = orderPlaced({ lines: [{ sku: 'DUCK-LIMITED', quantity: 5 }] });

    const { reservation } = rejection(event, ['DUCK-LIMITED'], now);

    expect(reservation).toMatchObject({ orderId: event.data.orderId, status: 'REJECTED', lines: [{ sku: 'DUCK-LIMITED', quantity: 5 }] });
    expect(reservation.history).toEqual([{ status: 'REJECTED', at: now.toISOString(), reason: 'OrderPlaced', eventId: event.metadata.eventId }]);
  });

  it('refuses to reject an order for SKUs it does not contain', () => {
    const event = orderPlaced({ lines: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });

    expect(() => rejection(event, ['DUCK-GOLD'], now)).toThrow(RangeError);
  });
});
