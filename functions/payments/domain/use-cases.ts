import { deadlinePassedDeclineReason } from '#contracts/events';
import type { Causation } from '#shared/outbox';
import { defaultSagaDeadlineMarginMs, lastMomentForSideEffects, sagaDeadlineOf, tooLateToStart } from '#shared/saga-deadline';
import { decide, reconcile, refunded, settle, type Authorization, type InventoryReservedEvent, type OrderCancelledEvent, type Payment, type PaymentsEvent } from './payment';
import { ConcurrentPaymentChangeError, ProviderRejectedError, type Clock, type PaymentProvider, type PaymentRepository } from './ports';

export interface PaymentPorts {
  payments: PaymentRepository;
  provider: PaymentProvider;
  clock: Clock;
  /** @default defaultPaymentPolicy */
  policy?: Partial<PaymentPolicy>;
}

/** When payments may still ask the provider for money, and how far it trusts the provider's memory of a key. */
export interface PaymentPolicy {
  /**
   * No authorization request is in flight past the saga deadline minus this
   * (functions/shared/saga-deadline.ts): it must exceed the longest the
   * provider may take to act on a request it received, plus the clock skew.
   */
  sagaDeadlineMarginMs: number;
  /**
   * How long after an attempt a request under the same Idempotency-Key is
   * still a replay at the provider. Set it below the provider's own retention
   * (Stripe keeps keys 24 h); past it, the order is looked up instead.
   */
  providerKeyRetentionMs: number;
}

export const defaultPaymentPolicy: PaymentPolicy = { sagaDeadlineMarginMs: defaultSagaDeadlineMarginMs, providerKeyRetentionMs: 23 * 3600_000 };

/**
 * An earlier request may still land at the provider (it was abandoned less
 * than a margin ago) and the provider shows nothing yet: neither declining
 * nor asking again is safe, so the message comes back after the deadline,
 * when the provider's answer to a look-up is final.
 */
export class AuthorizationUncertainError extends Error {
  override readonly name = 'AuthorizationUncertainError';
  constructor(orderId: string) {
    super(`an authorization request for order ${orderId} may still land at the provider; looking again after the saga deadline`);
  }
}

const ignored = (event: PaymentsEvent, why: string) => `ignored ${event.metadata.type}: ${why}`;
const causation = (event: PaymentsEvent): Causation => ({ correlationId: event.data.orderId, causationId: event.metadata.eventId, deadline: sagaDeadlineOf(event) });

/**
 * A refusal the provider will repeat forever becomes a decline with its
 * reason, so the saga compensates (orders cancels, inventory releases stock)
 * instead of the order waiting on retries that cannot succeed. The exception
 * is a refusal that says money may already be held under the order's key:
 * declining would strand that money, so the message goes to the DLQ (after
 * its retries) for an operator to reconcile against the provider's ledger.
 * The attempt is noted just before the request leaves, and the request is
 * bounded by the saga deadline minus the margin.
 */
async function askProvider(event: InventoryReservedEvent, ports: PaymentPorts, policy: PaymentPolicy): Promise<Authorization> {
  const { orderId, customerId, total } = event.data;
  const notAfter = lastMomentForSideEffects(event, policy.sagaDeadlineMarginMs);
  try {
    return await ports.provider.authorize(
      { orderId, amount: total, customerId },
      {
        beforeSend: () => ports.payments.recordAttempt(orderId, { at: ports.clock.now().toISOString(), eventId: event.metadata.eventId }),
        ...(notAfter === undefined ? {} : { notAfter }),
      },
    );
  } catch (error) {
    if (error instanceof ProviderRejectedError && !error.rejection.chargeMayExist) return { outcome: 'DECLINED', reason: `PROVIDER_REJECTED: ${error.rejection.reason}` };
    throw error;
  }
}

/**
 * The answer to an InventoryReserved for an order with no payment row yet.
 * An earlier delivery may have sent a request whose answer was lost: while
 * the provider still remembers the key, the same request replays that
 * answer; once it may have forgotten it, or once no new request may start,
 * only a look-up by order can tell. Past the deadline minus the margin no
 * request is sent: payments declines itself (DEADLINE_PASSED), unless an
 * earlier request may still land, which waits for the deadline (see
 * AuthorizationUncertainError).
 */
async function authorizationFor(event: InventoryReservedEvent, ports: PaymentPorts, policy: PaymentPolicy): Promise<Authorization> {
  const { orderId } = event.data;
  const now = ports.clock.now();
  const tooLate = tooLateToStart(event, now, policy.sagaDeadlineMarginMs);
  // Any attempt came after the event was written, so while the event itself is younger than the retention every
  // attempt's key is remembered and re-sending is a replay: the happy path needs no read of the attempt marker.
  const keyMayBeForgotten = now.getTime() - Date.parse(event.metadata.occurredAt) >= policy.providerKeyRetentionMs;
  const attempt = tooLate || keyMayBeForgotten ? await ports.payments.lastAttempt(orderId) : undefined;
  const keyRemembered = attempt !== undefined && now.getTime() - Date.parse(attempt.at) < policy.providerKeyRetentionMs;
  if (attempt && (tooLate || !keyRemembered)) {
    const earlier = await ports.provider.findAuthorization(orderId);
    if (earlier) return earlier;
    const deadline = sagaDeadlineOf(event);
    if (tooLate && deadline !== undefined && now.getTime() < Date.parse(deadline)) throw new AuthorizationUncertainError(orderId);
  }
  if (tooLate) return { outcome: 'DECLINED', reason: deadlinePassedDeclineReason };
  return askProvider(event, ports, policy);
}

async function giveBackIfCancelled(current: Payment, authorization: Authorization, event: InventoryReservedEvent, ports: PaymentPorts): Promise<string> {
  const next = reconcile(current, authorization);
  if (next.kind === 'ignore') return ignored(event, next.why);
  const { orderId, total: amount } = event.data;
  await ports.provider.refund({ orderId, authorizationId: next.authorizationId });
  const { change, events } = refunded(
    orderId,
    { from: 'CANCELLED', authorizationId: next.authorizationId, amount },
    { eventId: event.metadata.eventId, reason: 'authorized while the order was being cancelled' },
    ports.clock.now(),
  );
  if (await ports.payments.transition(orderId, change, events, causation(event))) return 'refunded: the order was cancelled while it was being authorized';
  // A CANCELLED row only ever moves to REFUNDED, so the delivery that beat us gave the same authorization back.
  return ignored(event, 'a concurrent delivery refunded the authorization');
}

/**
 * Charges a reserved order.
 *
 * Primary course:
 * 1. The order has no payment row, and its deadline is not near: ask the provider to authorize the total
 *    (idempotent by order id), noting the attempt just before the request leaves.
 * 2. In one transaction write the AUTHORIZED or DECLINED row (if the order still has none) and PaymentAuthorized or PaymentDeclined.
 * Alternatives: a duplicate or late event finds a row and is ignored. Past
 * the deadline minus the margin, payments declines (DEADLINE_PASSED) without
 * calling the provider. If OrderCancelled wrote CANCELLED while the provider
 * was authorizing, the authorization is refunded and the row moves CANCELLED
 * → REFUNDED with PaymentRefunded. If the order is found CANCELLED and a
 * request had been sent for it, the provider is asked what it holds (a look-up,
 * never a new authorization) so that a charge whose answer was lost is refunded.
 */
export async function authorizePayment(event: InventoryReservedEvent, ports: PaymentPorts): Promise<string> {
  const { orderId } = event.data;
  const policy = { ...defaultPaymentPolicy, ...ports.policy };
  const decision = decide(await ports.payments.get(orderId), event, ports.clock.now());
  if (decision.kind === 'ignore') return ignored(event, decision.why);
  if (decision.kind === 'check-earlier-attempt') {
    if (!(await ports.payments.lastAttempt(orderId))) return ignored(event, 'the order was cancelled before any authorization request was sent: nothing was charged');
    const earlier = await ports.provider.findAuthorization(orderId);
    if (!earlier) return ignored(event, 'the order was cancelled and the provider holds no authorization for it');
    return giveBackIfCancelled(decision.payment, earlier, event, ports);
  }

  const authorization = await authorizationFor(event, ports, policy);
  const { payment, events } = settle(event, authorization, ports.clock.now());
  if (await ports.payments.create(payment, events, causation(event))) return `payment ${payment.status}${authorization.outcome === 'DECLINED' ? ` (${authorization.reason})` : ''}`;

  const current = await ports.payments.get(orderId);
  // Rows are never deleted: a failed condition with no row means the repository is not what we think it is.
  if (!current) throw new ConcurrentPaymentChangeError(orderId);
  return giveBackIfCancelled(current, authorization, event, ports);
}

/**
 * Compensates a cancelled order.
 *
 * Primary course:
 * 1. The payment is AUTHORIZED: refund it at the provider (idempotent by authorization).
 * 2. In one transaction move the row AUTHORIZED → REFUNDED and write PaymentRefunded.
 * Alternatives: no row yet, so a CANCELLED row is written and a later
 * InventoryReserved charges nothing; DECLINED, REFUNDED or CANCELLED need
 * nothing. Every write is conditional; when another delivery wrote first, the
 * decision is made again on the fresh state.
 */
export async function cancelPayment(event: OrderCancelledEvent, ports: PaymentPorts): Promise<string> {
  const { orderId } = event.data;
  const cause = causation(event);
  for (let attempt = 0; attempt < 2; attempt++) {
    const decision = decide(await ports.payments.get(orderId), event, ports.clock.now());
    switch (decision.kind) {
      case 'ignore':
        return ignored(event, decision.why);
      case 'record-cancellation':
        if (await ports.payments.create(decision.payment, [], cause)) return 'recorded: cancelled before any authorization';
        break;
      case 'refund': {
        const { authorizationId, amount } = decision;
        await ports.provider.refund({ orderId, authorizationId });
        const { change, events } = refunded(orderId, { from: 'AUTHORIZED', authorizationId, amount }, { eventId: event.metadata.eventId, reason: event.metadata.type }, ports.clock.now());
        if (await ports.payments.transition(orderId, change, events, cause)) return 'refunded';
        break;
      }
    }
  }
  throw new ConcurrentPaymentChangeError(orderId);
}
