import { describe, expect, it } from 'vitest';
import type { NotificationRepository } from '../../../functions/notifications/domain/ports';
import { notifyCustomer } from '../../../functions/notifications/domain/use-cases';
import { orderCancelled, orderConfirmed } from '../../helpers/notifications-events';
import { fixedClock, inMemoryNotifications, recordingNotifier } from '../../helpers/notifications-fakes';

const clock = fixedClock();

describe('notifyCustomer', () => {
  it('sends the confirmation and records it as SENT', async () => {
    const notifications = inMemoryNotifications();
    const { notifier, sent } = recordingNotifier();
    const event = orderConfirmed({ amountCents: 499 });

    const outcome = await notifyCustomer(event, { notifications: notifications.repository, notifier, clock });

    expect(outcome).toBe('sent order-confirmed');
    expect(sent).toEqual([{ to: event.data.customerId, orderId: event.data.orderId, template: 'order-confirmed', variables: { total: '4.99 USD' } }]);
    expect(notifications.rows.get(`${event.data.orderId}#CONFIRMED`)).toMatchObject({ status: 'SENT', sentAt: clock.now().toISOString() });
  });

  it('sends one notification per terminal state however often the event is delivered', async () => {
    const notifications = inMemoryNotifications();
    const { notifier, sent } = recordingNotifier();
    const event = orderCancelled();
    await notifyCustomer(event, { notifications: notifications.repository, notifier, clock });

    const outcome = await notifyCustomer(event, { notifications: notifications.repository, notifier, clock });

    expect(outcome).toMatch(/^ignored OrderCancelled: order-cancelled already sent/);
    expect(sent).toHaveLength(1);
  });

  it('keeps the claim SENDING when the channel fails, so that the retry sends it', async () => {
    const notifications = inMemoryNotifications();
    const { notifier, sent } = recordingNotifier(1);
    const event = orderConfirmed();
    const ports = { notifications: notifications.repository, notifier, clock };
    await expect(notifyCustomer(event, ports)).rejects.toThrow('channel unavailable');
    expect(notifications.rows.get(`${event.data.orderId}#CONFIRMED`)?.status).toBe('SENDING');

    const outcome = await notifyCustomer(event, ports);

    expect(outcome).toBe('re-sent order-confirmed (an earlier attempt did not finish)');
    expect(sent).toHaveLength(1);
    expect(notifications.rows.get(`${event.data.orderId}#CONFIRMED`)?.status).toBe('SENT');
  });

  it('sends again after a crash between the send and the SENT mark: the one duplicate at-least-once allows', async () => {
    const notifications = inMemoryNotifications();
    const { notifier, sent } = recordingNotifier();
    const event = orderConfirmed();
    const crashing: NotificationRepository = { ...notifications.repository, markSent: () => Promise.reject(new Error('crashed')) };
    await expect(notifyCustomer(event, { notifications: crashing, notifier, clock })).rejects.toThrow('crashed');

    await notifyCustomer(event, { notifications: notifications.repository, notifier, clock });

    expect(sent).toHaveLength(2);
    expect(notifications.rows.get(`${event.data.orderId}#CONFIRMED`)?.status).toBe('SENT');
  });

  it('leaves the send to the delivery that claimed the notification between its read and its claim', async () => {
    const notifications = inMemoryNotifications();
    const { notifier, sent } = recordingNotifier();
    const event = orderConfirmed();
    const racing: NotificationRepository = {
      ...notifications.repository,
      async get() {
        await notifications.repository.claim({
          orderId: event.data.orderId,
          customerId: event.data.customerId,
          state: 'CONFIRMED',
          template: 'order-confirmed',
          status: 'SENDING',
          eventId: event.metadata.eventId,
          createdAt: clock.now().toISOString(),
        });
        return undefined;
      },
    };

    const outcome = await notifyCustomer(event, { notifications: racing, notifier, clock });

    expect(outcome).toBe('ignored OrderConfirmed: claimed concurrently by another delivery');
    expect(sent).toEqual([]);
  });

  it('notifies a confirmation and a cancellation of one order separately', async () => {
    const notifications = inMemoryNotifications();
    const { notifier, sent } = recordingNotifier();
    const confirmed = orderConfirmed();

    await notifyCustomer(confirmed, { notifications: notifications.repository, notifier, clock });
    await notifyCustomer(orderCancelled({ orderId: confirmed.data.orderId }), { notifications: notifications.repository, notifier, clock });

    expect(sent.map((message) => message.template)).toEqual(['order-confirmed', 'order-cancelled']);
  });

  it('claims before sending, so that nothing is sent when the claim cannot be written', async () => {
    const notifications = inMemoryNotifications();
    const { notifier, sent } = recordingNotifier();
    const unavailable: NotificationRepository = { ...notifications.repository, claim: () => Promise.reject(new Error('ProvisionedThroughputExceeded')) };

    await expect(notifyCustomer(orderConfirmed(), { notifications: unavailable, notifier, clock })).rejects.toThrow('ProvisionedThroughputExceeded');

    expect(sent).toEqual([]);
  });
});
