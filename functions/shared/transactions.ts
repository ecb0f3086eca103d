import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { retryingConflicts } from './conflict-retry';
import { outboxRow, type Causation, type OutboxEnvironment, type PendingEvent } from './outbox';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The transaction items that append a use case's events to the context's outbox. */
export function outboxPuts(tableName: string, events: PendingEvent[], cause: Causation, environment: OutboxEnvironment): TransactItem[] {
  return events.map((event) => ({
    Put: { TableName: tableName, Item: outboxRow(event, cause, environment), ConditionExpression: 'attribute_not_exists(pk)' },
  }));
}

/**
 * True when the transaction was cancelled because the condition of the item at
 * `index` failed, as opposed to a conflict or throttling, which are retryable.
 */
export function conditionFailedAt(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed'
  );
}

/** Indexes of the items whose condition failed, when that is the only reason the transaction was cancelled. */
export function failedConditions(error: unknown): number[] | undefined {
  if (!(error instanceof TransactionCanceledException) || !error.CancellationReasons) return undefined;
  const codes = error.CancellationReasons.map((reason) => reason.Code ?? 'None');
  if (codes.some((code) => code !== 'None' && code !== 'ConditionalCheckFailed')) return undefined;
  return codes.flatMap((code, index) => (code === 'ConditionalCheckFailed' ? [index] : []));
}

export interface OutboxCommit {
  tableName: string;
  /** The state change; the conditions on these items decide whether it may commit. */
  items: TransactItem[];
  events: PendingEvent[];
  cause: Causation;
  environment: OutboxEnvironment;
}

/**
 * Commits a state change together with the outbox rows of its events, so an
 * event is published if and only if the change happened. False when a condition
 * on the state items failed: a concurrent delivery changed the state first, and
 * the use case decides what that means. A conflict with another transaction
 * is retried here a few times (conflict-retry.ts); anything else (a conflict
 * that outlasts those retries, throttling, a failed outbox condition) is
 * thrown, for SQS to retry.
 */
export async function commitWithOutbox(client: Pick<DynamoDBDocumentClient, 'send'>, commit: OutboxCommit): Promise<boolean> {
  const { tableName, items, events, cause, environment } = commit;
  try {
    const TransactItems = [...items, ...outboxPuts(tableName, events, cause, environment)];
    await retryingConflicts(() => client.send(new TransactWriteCommand({ TransactItems })));
    return true;
  } catch (error) {
    if (items.some((_, index) => conditionFailedAt(error, index))) return false;
    throw error;
  }
}
