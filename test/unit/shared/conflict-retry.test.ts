import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { conflictRetrySettings, isTransactionConflict, retryingConflicts } from '#shared/conflict-retry';
import { commitWithOutbox } from '#shared/transactions';
import { FakeClock, outcomeOn } from '../../helpers/fake-clock';
import { scriptedDocumentClient, throws, transactionCancelled } from '../../helpers/scripted-dynamodb';

const conflict = () => transactionCancelled('None', 'TransactionConflict', 'None');

/** An attempt that fails with the given errors in turn, then answers; it records when each attempt started. */
function scripted(clock: FakeClock, failures: unknown[]) {
  const startedAt: number[] = [];
  const attempt = () => {
    startedAt.push(clock.now());
    const failure = failures[startedAt.length - 1];
    return failure ? Promise.reject(failure as Error) : Promise.resolve('committed');
  };
  return { attempt, startedAt };
}

describe('isTransactionConflict', () => {
  it('is true for a transaction cancelled by a conflict, and for the standalone conflict error', () => {
    expect(isTransactionConflict(conflict())).toBe(true);
    expect(isTransactionConflict(new TransactionConflictException({ message: 'conflict', $metadata: {} }))).toBe(true);
  });

  it('is false when a condition failed too, or for any other cancellation or error', () => {
    expect(isTransactionConflict(transactionCancelled('TransactionConflict', 'ConditionalCheckFailed'))).toBe(false);
    expect(isTransactionConflict(transactionCancelled('ConditionalCheckFailed', 'None'))).toBe(false);
    expect(isTransactionConflict(transactionCancelled('ThrottlingError', 'None'))).toBe(false);
    expect(isTransactionConflict(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }))).toBe(false);
    expect(isTransactionConflict(new Error('TransactionConflict'))).toBe(false);
  });
});

describe('retryingConflicts', () => {
  it('retries conflicts after short full-jitter waits and returns the commit', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const { attempt, startedAt } = scripted(clock, [conflict(), conflict()]);

    const result = await outcomeOn(retryingConflicts(attempt, { clock, random: () => 0.5 }), clock);

    expect(result.value).toBe('committed');
    const { baseDelayMs } = conflictRetrySettings;
    const first = Math.floor(baseDelayMs / 2);
    expect(startedAt.map((at) => at - start)).toEqual([0, first, first + baseDelayMs]);
  });

  it('throws the last conflict once the retries are spent, for the caller (SQS) to retry later', async () => {
    const clock = new FakeClock();
    const last = conflict();
    const failures = [...Array.from({ length: conflictRetrySettings.maxAttempts - 1 }, conflict), last];
    const { attempt, startedAt } = scripted(clock, failures);

    const result = await outcomeOn(retryingConflicts(attempt, { clock }), clock);

    expect(result.error).toBe(last);
    expect(startedAt).toHaveLength(conflictRetrySettings.maxAttempts);
    expect(startedAt.at(-1)! - startedAt[0]!).toBeLessThan(conflictRetrySettings.maxDelayMs * conflictRetrySettings.maxAttempts);
  });

  it('does not retry a failed condition, which is a decision', async () => {
    const clock = new FakeClock();
    const decided = transactionCancelled('ConditionalCheckFailed', 'None');
    const { attempt, startedAt } = scripted(clock, [decided]);

    const result = await outcomeOn(retryingConflicts(attempt, { clock }), clock);

    expect(result.error).toBe(decided);
    expect(startedAt).toHaveLength(1);
  });
});

describe('commitWithOutbox under conflicts', () => {
  const commit = { tableName: 't', items: [{ Put: { TableName: 't', Item: { pk: 'A' }, ConditionExpression: 'attribute_not_exists(pk)' } }], events: [], cause: { correlationId: 'o', causationId: 'c' }, environment: { region: 'us-east-1', now: () => new Date(0) } };

  it('commits after a conflict, sending the same transaction again', async () => {
    const { client, sent } = scriptedDocumentClient([throws(transactionCancelled('TransactionConflict'))]);

    expect(await commitWithOutbox(client, commit)).toBe(true);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.input).toEqual(sent[0]!.input);
  });

  it('answers false at once when the state condition failed', async () => {
    const { client, sent } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed'))]);

    expect(await commitWithOutbox(client, commit)).toBe(false);
    expect(sent).toHaveLength(1);
  });
});
