import { describe, expect, it } from 'vitest';
import { cancellationReasons } from '#contracts/primitives';
import { decide, formatMoney, messageFor, terminalStateOf, type Notification } from '../../../functions/notifications/domain/notification';
import { orderCancelled, orderConfirmed } from '../../helpers/notifications-events';

const now = new Date('2025-01-01T12:00:05.000Z');

const existing = (status: Notification['status']): Notification => ({
  orderId: '5d1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b',
  customerId: 'customer-7',
  state: 'CONFIRMED',
  template: 'order-confirmed',
  status,
  eventId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  createdAt: '2025-01-01T12:00:01.000Z',
  ...(status === 'SENT' ? { sentAt: '2025-01-01T12:00:02.000Z' } : {}),
});

describe('formatMoney', () => {
  it.each([
    [0, '0.00 USD'],
    [5, '0.05 USD'],
    [1398, '13.98 USD'],
    [250_000, '2500.00 USD'],
  ])('formats %i cents as %s', (amountCents, expected) => {
    expect(formatMoney({ amountCents, currency: 'USD' })).toBe(expected);
  });
});

describe('messageFor', () => {
  it('tells the customer the total of a confirmed order', () => {
    const event = orderConfirmed({ amountCents: 1398 });

    const message = messageFor(event);

    expect(message).toEqual({ to: event.data.customerId, orderId: event.data.orderId, template: 'order-confirmed', variables: { total: '13.98 USD' } });
  });

  it.each(cancellationReasons)('tells the customer why the order was cancelled (%s)', (reason) => {
    const event = orderCancelled({ reason });

    const message = messageFor(event);

    expect(message).toEqual({ to: event.data.customerId, orderId: event.data.orderId, template: 'order-cancelled', variables: { reason } });
  });
});

describe('terminalStateOf', () => {
  it('maps each terminal event to the state it notifies', () => {
    expect([terminalStateOf(orderConfirmed()), terminalStateOf(orderCancelled())]).toEqual(['CONFIRMED', 'CANCELLED']);
  });
});

describe('decide', () => {
  it.each([
    ['OrderConfirmed', orderConfirmed(), 'CONFIRMED', 'order-confirmed'],
    ['OrderCancelled', orderCancelled(), 'CANCELLED', 'order-cancelled'],
  ] as const)('claims and sends the first %s of an order', (_, event, state, template) => {
    const decision = decide(undefined, event, now);

    expect(decision).toEqual({
      kind: 'send',
      message: messageFor(event),
      notification: {
        orderId: event.data.orderId,
        customerId: event.data.customerId,
        state,
        template,
        status: 'SENDING',
        eventId: event.metadata.eventId,
        createdAt: now.toISOString(),
      },
    });
  });

  it('sends again when an earlier attempt claimed the notification but did not confirm the send', () => {
    const event = orderConfirmed();

    const decision = decide(existing('SENDING'), event, now);

    expect(decision).toEqual({ kind: 'resend', message: messageFor(event) });
  });

  it('ignores the event once the notification was sent', () => {
    const decision = decide(existing('SENT'), orderConfirmed(), now);

    expect(decision).toEqual({ kind: 'ignore', why: 'order-confirmed already sent at 2025-01-01T12:00:02.000Z' });
  });
});
