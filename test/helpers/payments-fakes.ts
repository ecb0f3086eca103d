import type { EventContract, EventDetail } from '#contracts/envelope';
import type { Money } from '#contracts/primitives';
import { outboxRow, type Causation, type PendingEvent } from '#shared/outbox';
import type { Authorization, Payment } from '../../functions/payments/domain/payment';
import {
  ProviderRejectedError,
  ProviderUnavailableError,
  type Clock,
  type AuthorizationAttempt,
  type AuthorizeOptions,
  type PaymentProvider,
  type PaymentRepository,
} from '../../functions/payments/domain/ports';

export const fixedClock = (at = '2026-11-20T10:00:05.000Z'): Clock => ({ now: () => new Date(at) });

/**
 * Where a fault strikes a call: `before` it takes effect (nothing happened),
 * or `after` (it happened, but the caller sees a failure, like an answer lost
 * to a timeout or a Lambda that died after DynamoDB committed).
 */
export type Fault = 'none' | 'before' | 'after';
export type FaultSource = (call: string) => Fault;
const noFaults: FaultSource = () => 'none';

export class InjectedFaultError extends Error {
  override readonly name = 'InjectedFaultError';
}

export interface PublishedEvent {
  detailType: string;
  detail: EventDetail<EventContract>;
}

/**
 * A PaymentRepository that enforces the conditions of the DynamoDB adapter:
 * one payment row per order, moves only from the expected status, each write
 * all or nothing with its outbox rows (built by the real outbox code, so an
 * event that breaks its contract fails the write), and reads return copies.
 */
export class InMemoryPaymentRepository implements PaymentRepository {
  readonly rows = new Map<string, Payment>();
  readonly attempts = new Map<string, { at: string; eventId: string }>();
  readonly published: PublishedEvent[] = [];
  /** Runs once before the next `create`, to let another delivery win a race at exactly that point. */
  beforeNextCreate: (() => Promise<void>) | undefined;

  constructor(
    private readonly clock: Clock = fixedClock(),
    private readonly faults: FaultSource = noFaults,
  ) {}

  private async write(call: string, apply: () => boolean): Promise<boolean> {
    const fault = this.faults(call);
    if (fault === 'before') throw new InjectedFaultError(`${call} failed before committing`);
    const written = apply();
    if (fault === 'after') throw new InjectedFaultError(`${call} committed but the caller never heard`);
    return written;
  }

  private publish(events: PendingEvent[], cause: Causation): PublishedEvent[] {
    return events.map((event) => {
      const row = outboxRow(event, cause, { region: 'eu-west-1', now: () => this.clock.now() });
      return { detailType: row.detailType, detail: JSON.parse(row.detail) as EventDetail<EventContract> };
    });
  }

  async get(orderId: string): Promise<Payment | undefined> {
    const row = this.rows.get(orderId);
    return row && structuredClone(row);
  }

  async create(payment: Payment, events: PendingEvent[], cause: Causation): Promise<boolean> {
    const hook = this.beforeNextCreate;
    this.beforeNextCreate = undefined;
    await hook?.();
    return this.write('payments.create', () => {
      if (this.rows.has(payment.orderId)) return false;
      const published = this.publish(events, cause);
      this.rows.set(payment.orderId, structuredClone(payment));
      this.published.push(...published);
      return true;
    });
  }

  async transition(orderId: string, change: Parameters<PaymentRepository['transition']>[1], events: PendingEvent[], cause: Causation): Promise<boolean> {
    return this.write('payments.transition', () => {
      const row = this.rows.get(orderId);
      if (!row || row.status !== change.from) return false;
      const published = this.publish(events, cause);
      this.rows.set(orderId, {
        ...row,
        status: change.to,
        updatedAt: change.entry.at,
        history: [...row.history, change.entry],
        ...(change.authorizationId === undefined ? {} : { authorizationId: change.authorizationId }),
        ...(change.amount === undefined ? {} : { amount: change.amount }),
      } as Payment);
      this.published.push(...published);
      return true;
    });
  }

  async recordAttempt(orderId: string, attempt: { at: string; eventId: string }): Promise<void> {
    await this.write('payments.recordAttempt', () => {
      this.attempts.set(orderId, attempt);
      return true;
    });
  }

  async lastAttempt(orderId: string): Promise<AuthorizationAttempt | undefined> {
    const attempt = this.attempts.get(orderId);
    return attempt && { ...attempt };
  }

  eventsOf(orderId: string, detailType?: string): PublishedEvent[] {
    return this.published.filter((event) => event.detail.metadata.correlationId === orderId && (!detailType || event.detailType === detailType));
  }
}

export interface ProviderAuthorization {
  authorizationId: string;
  orderId: string;
  amount: Money;
  status: 'AUTHORIZED' | 'DECLINED' | 'REFUNDED';
  declineReason?: string;
  /** When the provider made it, by its clock (only when the fake was given one). */
  createdAt?: string;
}

/**
 * A payment provider with the real one's guarantees: idempotent by order id
 * (a repeated authorization replays the first answer), refunds idempotent by
 * authorization, a decline above a limit. It counts what it charged, so a test
 * can check the money, not just the rows.
 */
export class FakePaymentProvider implements PaymentProvider {
  readonly authorizations = new Map<string, ProviderAuthorization>();
  readonly calls: { operation: 'authorize' | 'refund' | 'find'; orderId: string }[] = [];
  /** Set to make the adapter refuse to send any authorization (an open breaker, a full bulkhead), with this reason. */
  refuseToSend: string | undefined;
  /** Runs once before the provider answers the next authorization, e.g. a cancellation racing it. */
  beforeNextAnswer: (() => Promise<void>) | undefined;
  /** Set to make every authorization or refund fail for good, as the provider's 4xx would. */
  rejectWith: ProviderRejectedError | undefined;
  private sequence = 0;

  constructor(
    private readonly options: { declineAboveCents?: number; faults?: FaultSource; clock?: Clock } = {},
  ) {}

  /** The provider's clock: dates each authorization, and judges a request's `notAfter` as the adapter would. */
  private get clock(): Clock | undefined {
    return this.options.clock;
  }

  private fault(call: string): Fault {
    return (this.options.faults ?? noFaults)(call);
  }

  async authorize(request: { orderId: string; amount: Money; customerId: string }, options: AuthorizeOptions = {}): Promise<Authorization> {
    // Refused before anything is sent (an open breaker, a spent deadline, a full bulkhead): no call, no attempt marker.
    if (this.refuseToSend) throw new ProviderUnavailableError(`payment provider authorization not attempted: ${this.refuseToSend}`);
    if (options.notAfter !== undefined && this.clock && this.clock.now().getTime() >= options.notAfter) throw new ProviderUnavailableError('payment provider authorization not attempted: the saga deadline is too close');
    await options.beforeSend?.();
    this.calls.push({ operation: 'authorize', orderId: request.orderId });
    const fault = this.fault('provider.authorize');
    if (fault === 'before') throw new ProviderUnavailableError('provider unreachable');
    if (this.rejectWith) throw this.rejectWith;
    let authorization = this.authorizations.get(request.orderId);
    if (authorization && authorization.amount.amountCents !== request.amount.amountCents) {
      throw new ProviderRejectedError('idempotency key reused', { reason: 'idempotency-key-reused', status: 409, chargeMayExist: true });
    }
    if (!authorization) {
      const declined = request.amount.amountCents > (this.options.declineAboveCents ?? 100_000);
      authorization = {
        authorizationId: `auth_${++this.sequence}`,
        orderId: request.orderId,
        amount: request.amount,
        status: declined ? 'DECLINED' : 'AUTHORIZED',
        ...(declined ? { declineReason: 'LIMIT_EXCEEDED' } : {}),
        ...(this.clock ? { createdAt: this.clock.now().toISOString() } : {}),
      };
      this.authorizations.set(request.orderId, authorization);
    }
    const hook = this.beforeNextAnswer;
    this.beforeNextAnswer = undefined;
    await hook?.();
    if (fault === 'after') throw new ProviderUnavailableError('provider timed out after authorizing');
    return authorization.status === 'DECLINED'
      ? { outcome: 'DECLINED', reason: authorization.declineReason ?? 'LIMIT_EXCEEDED' }
      : { outcome: 'AUTHORIZED', authorizationId: authorization.authorizationId };
  }

  async refund(request: { orderId: string; authorizationId: string }): Promise<void> {
    this.calls.push({ operation: 'refund', orderId: request.orderId });
    const fault = this.fault('provider.refund');
    if (fault === 'before') throw new ProviderUnavailableError('provider unreachable');
    if (this.rejectWith) throw this.rejectWith;
    const authorization = [...this.authorizations.values()].find((candidate) => candidate.authorizationId === request.authorizationId);
    if (!authorization) throw new ProviderRejectedError('no such authorization', { reason: 'authorization-not-found', status: 404, chargeMayExist: false });
    if (authorization.status === 'DECLINED') throw new ProviderRejectedError('declined', { reason: 'not-refundable', status: 409, chargeMayExist: false });
    authorization.status = 'REFUNDED';
    if (fault === 'after') throw new ProviderUnavailableError('provider timed out after refunding');
  }

  async findAuthorization(orderId: string): Promise<Authorization | undefined> {
    this.calls.push({ operation: 'find', orderId });
    if (this.fault('provider.find') !== 'none') throw new ProviderUnavailableError('provider unreachable');
    const authorization = this.authorizations.get(orderId);
    if (!authorization) return undefined;
    return authorization.status === 'DECLINED'
      ? { outcome: 'DECLINED', reason: authorization.declineReason ?? 'LIMIT_EXCEEDED' }
      : { outcome: 'AUTHORIZED', authorizationId: authorization.authorizationId };
  }

  /** What the customer is out of pocket for the order right now. */
  heldCents(orderId: string): number {
    const authorization = this.authorizations.get(orderId);
    return authorization?.status === 'AUTHORIZED' ? authorization.amount.amountCents : 0;
  }

  callsOf(orderId: string, operation: 'authorize' | 'refund' | 'find'): number {
    return this.calls.filter((call) => call.orderId === orderId && call.operation === operation).length;
  }
}
