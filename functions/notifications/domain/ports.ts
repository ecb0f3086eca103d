import type { Message, Notification, TerminalState } from './notification';

export interface NotificationRepository {
  get(orderId: string, state: TerminalState): Promise<Notification | undefined>;
  /** Writes the SENDING row unless the notification already has one; false then. */
  claim(notification: Notification): Promise<boolean>;
  markSent(orderId: string, state: TerminalState, sentAt: string): Promise<void>;
}

/** The delivery channel (email, SMS, push). It may throw; the claim then stays SENDING and a retry sends again. */
export interface Notifier {
  send(message: Message): Promise<void>;
}

export interface Clock {
  now(): Date;
}
