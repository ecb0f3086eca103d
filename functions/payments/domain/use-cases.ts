import type { Causation } from '#shared/outbox';
import { sagaDeadlineOf } from '#shared/saga-deadline';
import { decide, reconcile, refunded, settle, type Authorization, type InventoryReservedEvent, type OrderCancelledEvent, type Payment, type PaymentsEvent } from './payment';
import { ConcurrentPaymentChangeError, ProviderRejectedError, type Clock, type PaymentProvider, type PaymentRepository } from './ports';

export interface PaymentPorts {
  payments: PaymentRepository;
  provider: PaymentProvider;
  clock: Clock;
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
 */
async function askProvider(event: InventoryReservedEvent, provider: PaymentProvider): Promise<Authorization> {
  const { orderId, customerId, total } = event.data;
  try {
    return await provider.authorize({ orderId, amount: total, customerId });
  } catch (error) {
    if (error instanceof ProviderRejectedError && !error.rejection.chargeMayExist) return { outcome: 'DECLINED', reason: `PROVIDER_REJECTED: ${error.rejection.reason}` };
    throw error;
  }
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
 * 1. The order has no payment row: note the attempt, then ask the provider to authorize the total (idempotent by order id).
 * 2. In one transaction write the AUTHORIZED or DECLINED row (if the order still has none) and PaymentAuthorized or PaymentDeclined.
 * Alternatives: a duplicate or late event finds a row and is ignored. If
 * OrderCancelled wrote CANCELLED while the provider was authorizing, the
 * authorization is refunded and the row moves CANCELLED → REFUNDED with
 * PaymentRefunded. If the order is found CANCELLED and an earlier delivery
 * had already asked the provider, the provider is asked again (it replays its
 * first answer) so that a charge whose answer was lost is refunded too.
 */
export async function authorizePayment(event: InventoryReservedEvent, ports: PaymentPorts): Promise<string> {
  const { orderId } = event.data;
  const decision = decide(await ports.payments.get(orderId), event, ports.clock.now());
  if (decision.kind === 'ignore') return ignored(event, decision.why);
  if (decision.kind === 'check-earlier-attempt') {
    if (!(await ports.payments.hasAttempt(orderId))) return ignored(event, 'the order was cancelled before any authorization was attempted: nothing was charged');
    return giveBackIfCancelled(decision.payment, await askProvider(event, ports.provider), event, ports);
  }

  await ports.payments.recordAttempt(orderId, { at: ports.clock.now().toISOString(), eventId: event.metadata.eventId });
  const authorization = await askProvider(event, ports.provider);
  const { payment, events } = settle(event, authorization, ports.clock.now());
  if (await ports.payments.create(payment, events, causation(event))) return `payment ${payment.status}`;

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
