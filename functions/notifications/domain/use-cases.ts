import { decide, terminalStateOf, type TerminalEvent } from './notification';
import type { Clock, NotificationRepository, Notifier } from './ports';

/**
 * Tells the customer how their order ended.
 *
 * Recording and sending cannot be one transaction, so one side must give.
 * Record-then-send alone is at-most-once: a crash after the record loses the
 * message for good. Send-then-record is at-least-once but sends again on every
 * retry. We claim with a SENDING row, send, then mark SENT: only a crash
 * between the send and the mark duplicates a message, and nothing is ever
 * lost. A channel that takes an idempotency key (e.g. an SNS FIFO
 * deduplication id of orderId#state) would close that last window.
 *
 * Primary course:
 * 1. Claim the notification with a conditional put of a SENDING row.
 * 2. Send the message.
 * 3. Mark the row SENT.
 * Alternatives: the row is SENT, so the event is ignored; it is SENDING (an
 * earlier attempt did not finish), so the message is sent again; another
 * delivery claimed it between our read and our put, so that delivery sends.
 */
export async function notifyCustomer(
  event: TerminalEvent,
  ports: { notifications: NotificationRepository; notifier: Notifier; clock: Clock },
): Promise<string> {
  const { orderId } = event.data;
  const state = terminalStateOf(event);
  const decision = decide(await ports.notifications.get(orderId, state), event, ports.clock.now());
  if (decision.kind === 'ignore') return `ignored ${event.metadata.type}: ${decision.why}`;
  // Its own delivery retries if it fails, so stepping back here loses nothing.
  if (decision.kind === 'send' && !(await ports.notifications.claim(decision.notification))) {
    return `ignored ${event.metadata.type}: claimed concurrently by another delivery`;
  }
  await ports.notifier.send(decision.message);
  await ports.notifications.markSent(orderId, state, ports.clock.now().toISOString());
  return decision.kind === 'resend' ? `re-sent ${decision.message.template} (an earlier attempt did not finish)` : `sent ${decision.message.template}`;
}
