import { heldAuthorization } from '../../../functions/payments/adapters/http-payment-provider';
import type { Authorization } from '../../../functions/payments/domain/payment';
import { ProviderRejectedError, ProviderUnavailableError, type Clock, type PaymentProvider } from '../../../functions/payments/domain/ports';
import { authorize, IdempotencyKeyReusedError, NotRefundableError, refund, UnknownAuthorizationError, type ProviderPorts } from '../../../functions/payment-provider/domain/use-cases';

/**
 * The network between payments and the provider, as the model's commands
 * set it. Kept apart from the adapter so the world can heal it.
 */
export interface ProviderLink {
  /**
   * `failing`: every request fails as a 5xx or a reset would: it left (so
   * payments notes it), the provider did nothing. `refused`: the caller's
   * breaker is open, nothing leaves.
   */
  outage: 'none' | 'failing' | 'refused';
  /**
   * The next authorize or refund reaches the provider, which acts `lagMs`
   * after it was sent (0: at once), and its answer is lost (a timeout).
   * One-shot: the model re-arms it per command.
   */
  loseNextAnswer: { lagMs: number } | undefined;
  /** Requests the provider has received but not acted on yet; the world runs them when its clock passes `at`. */
  inFlight: { at: number; act: () => Promise<unknown> }[];
}

export const healthyLink = (): ProviderLink => ({ outage: 'none', loseNextAnswer: undefined, inFlight: [] });

/** The simulator's refusals as the HTTP adapter reads their problem responses (409, 404). */
function asRejection(error: unknown, operation: 'authorization' | 'refund'): unknown {
  if (error instanceof IdempotencyKeyReusedError) return new ProviderRejectedError(error.message, { reason: 'idempotency-key-reused', status: 409, chargeMayExist: operation === 'authorization' });
  if (error instanceof NotRefundableError) return new ProviderRejectedError(error.message, { reason: 'not-refundable', status: 409, chargeMayExist: false });
  if (error instanceof UnknownAuthorizationError) return new ProviderRejectedError(error.message, { reason: 'authorization-not-found', status: 404, chargeMayExist: false });
  return error;
}

/**
 * The payments `PaymentProvider` port over the REAL simulator use cases, in
 * process: what `httpPaymentProvider` does over HTTP (same idempotency keys,
 * same mapping of refusals, `notAfter` and `beforeSend` honoured the same
 * way), minus the resilience layer, whose retries the model replaces with
 * SQS redeliveries. `clock` is the caller's (payments'): the simulator keeps
 * its own, which may be skewed. One small file, so that a change of the port
 * is one edit.
 */
export function simulatorPaymentProvider(simulator: ProviderPorts, link: ProviderLink, clock: Clock): PaymentProvider {
  const now = () => clock.now().getTime();
  const refused = (operation: string) => new ProviderUnavailableError(`payment provider ${operation} not attempted: circuit breaker open (model outage)`);

  async function send<T>(operation: 'authorization' | 'refund', act: () => Promise<T>): Promise<T> {
    if (link.outage === 'refused') throw refused(operation);
    if (link.outage === 'failing') throw new ProviderUnavailableError(`payment provider ${operation} failed: HTTP 503 (model outage)`);
    const lost = link.loseNextAnswer;
    if (!lost) {
      try {
        return await act();
      } catch (error) {
        throw asRejection(error, operation);
      }
    }
    link.loseNextAnswer = undefined;
    // Whatever the provider answers, the caller never hears it.
    const swallow = () => act().catch(() => undefined);
    if (lost.lagMs === 0) await swallow();
    else link.inFlight.push({ at: now() + lost.lagMs, act: swallow });
    throw new ProviderUnavailableError(`payment provider ${operation} failed: timed out (the request reached the provider)`);
  }

  return {
    async authorize({ orderId, amount, customerId }, options = {}): Promise<Authorization> {
      if (options.notAfter !== undefined && now() >= options.notAfter) throw new ProviderUnavailableError('payment provider authorization not attempted: the saga deadline is too close');
      if (link.outage === 'refused') throw refused('authorization');
      await options.beforeSend?.();
      const { row } = await send('authorization', () => authorize({ orderId, amountCents: amount.amountCents, currency: amount.currency, customerId }, orderId, simulator));
      return row.status === 'DECLINED' ? { outcome: 'DECLINED', reason: row.declineReason ?? 'LIMIT_EXCEEDED' } : { outcome: 'AUTHORIZED', authorizationId: row.authorizationId };
    },

    async refund({ orderId, authorizationId }): Promise<void> {
      await send('refund', () => refund(authorizationId, `refund-${orderId}`, simulator));
    },

    async findAuthorization(orderId): Promise<Authorization | undefined> {
      if (link.outage === 'refused') throw refused('look-up');
      if (link.outage === 'failing') throw new ProviderUnavailableError('payment provider look-up failed: HTTP 503 (model outage)');
      const rows = [];
      let cursor: string | undefined;
      do {
        const page = await simulator.ledger.listByOrder(orderId, { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
        rows.push(...page.rows);
        cursor = page.cursor;
      } while (cursor !== undefined);
      return heldAuthorization(rows);
    },
  };
}
