import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { logger } from './powertools';
import { systemClock, type Clock } from './resilience/clock';
import { Deadline } from './resilience/deadline';
import { retrying, type RetrySettings } from './resilience/retry';

/**
 * A transaction that DynamoDB cancelled because another one held an item it
 * touches (a hot SKU's stock row, a contested idempotency claim) will most
 * likely commit a few milliseconds later. Retried here, where it happened, it
 * costs those milliseconds; thrown, it costs an SQS redelivery (seconds of
 * backoff, a receive of five) or an HTTP 500. The waits are short and
 * jittered so that the contenders do not meet again; five attempts in all,
 * under 400 ms of waiting at worst, well inside any function's timeout.
 */
export const conflictRetrySettings: RetrySettings = { maxAttempts: 5, backoff: 'full-jitter', baseDelayMs: 25, maxDelayMs: 200 };

/**
 * True for a cancellation by TransactionConflict alone (and for the standalone
 * TransactionConflictException). When a condition failed as well, the
 * cancellation is a decision the caller reads from the reasons, and a retry
 * would only repeat it.
 */
export function isTransactionConflict(error: unknown): boolean {
  if (error instanceof TransactionConflictException) return true;
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
  return codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
}

export interface ConflictRetryOptions {
  /** Injected so that tests run on a fake clock. @default the system clock */
  clock?: Clock;
  /** For the jitter. @default Math.random */
  random?: () => number;
}

/**
 * Runs a DynamoDB transaction, retrying it in process while it is cancelled
 * for a conflict; anything else, and the last conflict once the attempts are
 * spent, is thrown as it came, for the caller's usual path (SQS redelivery).
 * The attempt must send the same transaction each time: it is idempotent
 * only because a cancelled transaction wrote nothing.
 */
export function retryingConflicts<T>(transaction: () => Promise<T>, options: ConflictRetryOptions = {}): Promise<T> {
  const clock = options.clock ?? systemClock;
  return retrying(transaction, {
    settings: conflictRetrySettings,
    clock,
    // The attempts are bounded and the waits short: the invocation's own timeout is the limit that matters.
    deadline: Deadline.none(clock),
    isRetryable: isTransactionConflict,
    ...(options.random ? { random: options.random } : {}),
    onRetry: ({ attempt, delayMs }) => logger.info('retrying a transaction conflict', { attempt, delayMs }),
  });
}
