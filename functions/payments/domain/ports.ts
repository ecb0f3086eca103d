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
   * Notes, before the provider is asked, that it may be about to take money
   * for the order. A later delivery that finds the order cancelled reads it to
   * know whether an answer may have been lost on the way back.
   */
  recordAttempt(orderId: string, attempt: { at: string; eventId: string }): Promise<void>;
  hasAttempt(orderId: string): Promise<boolean>;
}

/**
 * The third-party payment service provider. Both calls are idempotent by
 * order: asking again after a lost answer returns the first outcome and never
 * charges twice.
 */
export interface PaymentProvider {
  authorize(request: { orderId: string; amount: Money; customerId: string }): Promise<Authorization>;
  refund(request: { orderId: string; authorizationId: string }): Promise<void>;
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
