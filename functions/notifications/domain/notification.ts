import type { OrderCancelled, OrderConfirmed } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
import type { Money } from '#contracts/primitives';

export type OrderConfirmedEvent = EventDetail<typeof OrderConfirmed>;
export type OrderCancelledEvent = EventDetail<typeof OrderCancelled>;
export type TerminalEvent = OrderConfirmedEvent | OrderCancelledEvent;

export const terminalStates = ['CONFIRMED', 'CANCELLED'] as const;
/** An order ends once, in one of these; each gets at most one notification row. */
export type TerminalState = (typeof terminalStates)[number];

export const templates = { CONFIRMED: 'order-confirmed', CANCELLED: 'order-cancelled' } as const satisfies Record<TerminalState, string>;
export type Template = (typeof templates)[TerminalState];

export interface Message {
  /** The customer id; the delivery channel resolves it to an address. */
  to: string;
  orderId: string;
  template: Template;
  /** Template data, already formatted for display. */
  variables: Record<string, string>;
}

export const notificationStatuses = ['SENDING', 'SENT'] as const;
/** SENDING: claimed, maybe sent; SENT: the channel accepted it. */
export type NotificationStatus = (typeof notificationStatuses)[number];

export interface Notification {
  orderId: string;
  customerId: string;
  state: TerminalState;
  template: Template;
  status: NotificationStatus;
  /** The event whose delivery claimed the notification. */
  eventId: string;
  createdAt: string;
  sentAt?: string;
}

export type Decision =
  | { kind: 'send'; notification: Notification; message: Message }
  | { kind: 'resend'; message: Message }
  | { kind: 'ignore'; why: string };

export const isOrderConfirmed = (event: TerminalEvent): event is OrderConfirmedEvent => event.metadata.type === 'OrderConfirmed';

export const terminalStateOf = (event: TerminalEvent): TerminalState => (isOrderConfirmed(event) ? 'CONFIRMED' : 'CANCELLED');

/** Integer arithmetic only: money is minor units and must never pass through a float. */
export function formatMoney({ amountCents, currency }: Money): string {
  return `${Math.floor(amountCents / 100)}.${String(amountCents % 100).padStart(2, '0')} ${currency}`;
}

export function messageFor(event: TerminalEvent): Message {
  const { orderId, customerId } = event.data;
  const state = terminalStateOf(event);
  const variables: Record<string, string> = isOrderConfirmed(event) ? { total: formatMoney(event.data.total) } : { reason: event.data.reason };
  return { to: customerId, orderId, template: templates[state], variables };
}

/**
 * One notification per order and terminal state. A SENDING row means an
 * earlier delivery claimed it and did not confirm the send (it crashed, or the
 * channel failed): sending again is the at-least-once choice. SENT is final.
 */
export function decide(existing: Notification | undefined, event: TerminalEvent, now: Date): Decision {
  const message = messageFor(event);
  if (existing?.status === 'SENT') return { kind: 'ignore', why: `${existing.template} already sent at ${existing.sentAt ?? 'an unknown time'}` };
  if (existing) return { kind: 'resend', message };
  return {
    kind: 'send',
    message,
    notification: {
      orderId: event.data.orderId,
      customerId: event.data.customerId,
      state: terminalStateOf(event),
      template: message.template,
      status: 'SENDING',
      eventId: event.metadata.eventId,
      createdAt: now.toISOString(),
    },
  };
}
