import { PaymentAuthorized, PaymentDeclined, PaymentRefunded, type InventoryReserved, type OrderCancelled } from '#contracts/events';
import type { EventDetail } from '#contracts/envelope';
import type { Money } from '#contracts/primitives';
import { emit, type PendingEvent } from '#shared/outbox';

export const paymentStatuses = ['AUTHORIZED', 'DECLINED', 'REFUNDED', 'CANCELLED'] as const;
/**
 * CANCELLED marks an order cancelled before any authorization was recorded
 * for it, so that a late InventoryReserved never charges it.
 */
export type PaymentStatus = (typeof paymentStatuses)[number];

export interface HistoryEntry {
  status: PaymentStatus;
  at: string;
  /** The event type that moved the payment, or the provider's decline reason. */
  reason: string;
  eventId: string;
}

interface PaymentBase {
  orderId: string;
  updatedAt: string;
  history: HistoryEntry[];
}

/** The status decides which fields exist, so a refund can never be attempted without an authorization id. */
export type Payment =
  | (PaymentBase & { status: 'AUTHORIZED'; authorizationId: string; amount: Money })
  | (PaymentBase & { status: 'DECLINED'; amount: Money; declineReason: string })
  | (PaymentBase & { status: 'REFUNDED'; authorizationId: string; amount: Money })
  /** OrderCancelled carries no amount, and nothing was charged. */
  | (PaymentBase & { status: 'CANCELLED' });

/** The provider's answer to an authorization. */
export type Authorization = { outcome: 'AUTHORIZED'; authorizationId: string } | { outcome: 'DECLINED'; reason: string };

export type InventoryReservedEvent = EventDetail<typeof InventoryReserved>;
export type OrderCancelledEvent = EventDetail<typeof OrderCancelled>;
export type PaymentsEvent = InventoryReservedEvent | OrderCancelledEvent;

export const isInventoryReserved = (event: PaymentsEvent): event is InventoryReservedEvent => event.metadata.type === 'InventoryReserved';

type Ignore = { kind: 'ignore'; why: string };

export type ReservedDecision =
  | { kind: 'authorize' }
  /**
   * The order was cancelled before a payment row was written, but an earlier
   * delivery of this event may have reached the provider and lost the answer
   * (a timeout): whether money was taken is not known yet.
   */
  | { kind: 'check-earlier-attempt'; payment: Payment & { status: 'CANCELLED' } }
  | Ignore;

export type CancelledDecision = { kind: 'record-cancellation'; payment: Payment } | { kind: 'refund'; authorizationId: string; amount: Money } | Ignore;

/**
 * The payment's state machine. An order gets one payment row, whatever
 * arrives first; afterwards only AUTHORIZED moves (to REFUNDED on
 * cancellation), and CANCELLED moves to REFUNDED only to give back an
 * authorization obtained while the order was being cancelled.
 */
export function decide(payment: Payment | undefined, event: InventoryReservedEvent, now: Date): ReservedDecision;
export function decide(payment: Payment | undefined, event: OrderCancelledEvent, now: Date): CancelledDecision;
export function decide(payment: Payment | undefined, event: PaymentsEvent, now: Date): ReservedDecision | CancelledDecision {
  if (isInventoryReserved(event)) {
    if (!payment) return { kind: 'authorize' };
    if (payment.status === 'CANCELLED') return { kind: 'check-earlier-attempt', payment };
    return { kind: 'ignore', why: `payment is already ${payment.status}` };
  }
  if (!payment) {
    const at = now.toISOString();
    return {
      kind: 'record-cancellation',
      payment: { orderId: event.data.orderId, status: 'CANCELLED', updatedAt: at, history: [{ status: 'CANCELLED', at, reason: event.metadata.type, eventId: event.metadata.eventId }] },
    };
  }
  if (payment.status === 'AUTHORIZED') return { kind: 'refund', authorizationId: payment.authorizationId, amount: payment.amount };
  return { kind: 'ignore', why: `payment is already ${payment.status}` };
}

/** The first payment row of an order and its event, from the provider's answer. */
export function settle(event: InventoryReservedEvent, authorization: Authorization, now: Date): { payment: Payment; events: PendingEvent[] } {
  const { orderId, total: amount } = event.data;
  const at = now.toISOString();
  const base = { orderId, amount, updatedAt: at };
  const entry = { at, eventId: event.metadata.eventId };
  if (authorization.outcome === 'AUTHORIZED') {
    const { authorizationId } = authorization;
    return {
      payment: { ...base, status: 'AUTHORIZED', authorizationId, history: [{ ...entry, status: 'AUTHORIZED', reason: event.metadata.type }] },
      events: [emit(PaymentAuthorized, { orderId, authorizationId, amount })],
    };
  }
  return {
    payment: { ...base, status: 'DECLINED', declineReason: authorization.reason, history: [{ ...entry, status: 'DECLINED', reason: authorization.reason }] },
    events: [emit(PaymentDeclined, { orderId, reason: authorization.reason })],
  };
}

/**
 * What to do with an authorization the row cannot take any more (another
 * delivery wrote the row first, or the order was cancelled before an earlier
 * answer was recorded): only a cancelled order has money to give back.
 */
export function reconcile(current: Payment, authorization: Authorization): { kind: 'refund'; authorizationId: string } | Ignore {
  if (current.status !== 'CANCELLED') return { kind: 'ignore', why: `a concurrent delivery already recorded the payment as ${current.status}` };
  if (authorization.outcome === 'DECLINED') return { kind: 'ignore', why: 'the order was cancelled and the provider declined: nothing was charged' };
  return { kind: 'refund', authorizationId: authorization.authorizationId };
}

export interface PaymentChange {
  from: PaymentStatus;
  to: PaymentStatus;
  /** Written with the move: a CANCELLED row learns the authorization it gave back. */
  authorizationId?: string;
  amount?: Money;
  entry: HistoryEntry;
}

export function refunded(
  orderId: string,
  refund: { from: 'AUTHORIZED' | 'CANCELLED'; authorizationId: string; amount: Money },
  cause: { eventId: string; reason: string },
  now: Date,
): { change: PaymentChange; events: PendingEvent[] } {
  const { from, authorizationId, amount } = refund;
  return {
    change: { from, to: 'REFUNDED', authorizationId, amount, entry: { status: 'REFUNDED', at: now.toISOString(), reason: cause.reason, eventId: cause.eventId } },
    events: [emit(PaymentRefunded, { orderId, authorizationId, amount })],
  };
}
