import type { Money } from '#contracts/primitives';
import type { Causation, PendingEvent } from '#shared/outbox';
import type { Authorization, Payment, PaymentChange } from './payment';

export interface PaymentRepository {
  get(orderId: string): Promise<Payment | undefined>;
  /** Writes the order's first payment row and its outbox rows in one transaction; false if the order already has a row. */
  create(payment: Payment, events: PendingEvent[], cause: Causation): Promise<boolean>;
  /** Moves the row from `change.from` to `change.to` and writes the outbox rows atomically; false if it was no longer in `change.from`. */
  transition(orderId: string, change: PaymentChange, events: PendingEvent[], cause: Causation): Promise<boolean>;
  /**
   * Notes, just before a request leaves for the provider (never when the
   * resilience layer refuses to send it), that the provider may be about to
   * take money for the order. A later delivery reads it to know whether an
   * answer may have been lost on the way back, and so must be looked up.
   */
  recordAttempt(orderId: string, attempt: AuthorizationAttempt): Promise<void>;
  /** The latest attempt noted for the order, or undefined when no request was ever sent for it. */
  lastAttempt(orderId: string): Promise<AuthorizationAttempt | undefined>;
}

export interface AuthorizationAttempt {
  /** When the request was sent (ISO): against the provider's key retention, it says whether a retry under the same key is still a replay. */
  at: string;
  eventId: string;
}

export interface AuthorizeOptions {
  /** Runs once, just before the first request leaves; a failure here sends nothing. */
  beforeSend?: () => Promise<void>;
  /**
   * Epoch ms after which no request may still be in flight: the saga deadline
   * minus its margin. No attempt starts past it, and one in flight is abandoned at it.
   */
  notAfter?: number;
}

/**
 * The third-party payment service provider. Both calls are idempotent by
 * order: asking again after a lost answer returns the first outcome and never
 * charges twice.
 */
export interface PaymentProvider {
  authorize(request: { orderId: string; amount: Money; customerId: string }, options?: AuthorizeOptions): Promise<Authorization>;
  refund(request: { orderId: string; authorizationId: string }): Promise<void>;
  /**
   * What the provider holds for the order, found by the order id (the
   * merchant's reference, which it keeps for good), not by the Idempotency-Key
   * (which it forgets after its retention). A read: it never moves money.
   * Undefined when the provider made no authorization for the order.
   */
  findAuthorization(orderId: string): Promise<Authorization | undefined>;
}

/** The provider could not answer (network, timeout, 5xx, 429) or its answer is unusable: retry later, nothing is known. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}

/** The provider answered and refused the request for good; retrying the same request cannot succeed. */
export class ProviderRejectedError extends Error {
  override readonly name = 'ProviderRejectedError';
  constructor(
    message: string,
    readonly rejection: {
      /** Short and stable (the problem type), fit for a PaymentDeclined reason. */
      reason: string;
      status: number;
      /**
       * The provider holds an earlier, different request under the same key,
       * so money may have been taken: declining the order would strand it.
       */
      chargeMayExist: boolean;
    },
  ) {
    super(message);
  }
}

/** Another delivery kept moving the payment while this one decided; SQS redelivers and the next attempt decides on fresh state. */
export class ConcurrentPaymentChangeError extends Error {
  override readonly name = 'ConcurrentPaymentChangeError';
  constructor(orderId: string) {
    super(`payment of order ${orderId} kept changing concurrently; retry`);
  }
}

export interface Clock {
  now(): Date;
}
