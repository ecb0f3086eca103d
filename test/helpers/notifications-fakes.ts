import type { Message, Notification } from '../../functions/notifications/domain/notification';
import type { Clock, NotificationRepository, Notifier } from '../../functions/notifications/domain/ports';

export const fixedClock = (at = '2025-01-01T12:00:05.000Z'): Clock => ({ now: () => new Date(at) });

/** Enforces the adapter's conditions: one row per order and state, SENT only over an existing row. */
export function inMemoryNotifications() {
  const rows = new Map<string, Notification>();
  const key = (orderId: string, state: string) => `${orderId}#${state}`;
  const repository: NotificationRepository = {
    async get(orderId, state) {
      const row = rows.get(key(orderId, state));
      return row && structuredClone(row);
    },
    async claim(notification) {
      const id = key(notification.orderId, notification.state);
      if (rows.has(id)) return false;
      rows.set(id, structuredClone(notification));
      return true;
    },
    async markSent(orderId, state, sentAt) {
      const row = rows.get(key(orderId, state));
      if (!row) throw new Error(`no notification row ${key(orderId, state)}`);
      rows.set(key(orderId, state), { ...row, status: 'SENT', sentAt });
    },
  };
  return { repository, rows };
}

/** Records what was sent; `failures` makes the next sends throw, as a channel outage would. */
export function recordingNotifier(failures = 0) {
  const sent: Message[] = [];
  let remainingFailures = failures;
  const notifier: Notifier = {
    async send(message) {
      if (remainingFailures > 0) {
        remainingFailures--;
        throw new Error('channel unavailable');
      }
      sent.push(message);
    },
  };
  return { notifier, sent };
}
