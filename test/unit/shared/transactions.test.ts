import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { conditionFailedAt, failedConditions } from '#shared/transactions';
import { transactionCancelled } from '../../helpers/scripted-dynamodb';


describe('conditionFailedAt', () => {
  it('is true when the condition of the item at the index failed', () => {
    const error = transactionCancelled('ConditionalCheckFailed', 'None', 'None');

    expect(conditionFailedAt(error, 0)).toBe(true);
  });

  it('is false for another item than the one whose condition failed', () => {
    const error = transactionCancelled('None', 'ConditionalCheckFailed');

    expect(conditionFailedAt(error, 0)).toBe(false);
    expect(conditionFailedAt(error, 1)).toBe(true);
  });

  it.each(['TransactionConflict', 'ThrottlingError', 'ValidationError'])('is false when the item failed with %s (retryable, not a lost race)', (code) => {
    const error = transactionCancelled(code, 'None');

    expect(conditionFailedAt(error, 0)).toBe(false);
  });

  it('is false for an index past the reasons', () => {
    expect(conditionFailedAt(transactionCancelled('ConditionalCheckFailed'), 3)).toBe(false);
  });

  it('is false for an error that is not a cancelled transaction', () => {
    const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

    expect(conditionFailedAt(error, 0)).toBe(false);
    expect(conditionFailedAt(new Error('ConditionalCheckFailed'), 0)).toBe(false);
    expect(conditionFailedAt(undefined, 0)).toBe(false);
  });

  it('is false for a cancelled transaction without reasons', () => {
    const error = new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {} });

    expect(conditionFailedAt(error, 0)).toBe(false);
  });
});

describe('failedConditions', () => {
  it('lists the indexes whose condition failed when nothing else went wrong', () => {
    const error = transactionCancelled('None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed');

    expect(failedConditions(error)).toEqual([1, 3]);
  });

  it('reads a reason without a code as no failure', () => {
    expect(failedConditions(transactionCancelled(undefined, 'ConditionalCheckFailed'))).toEqual([1]);
  });

  it('is undefined when another reason also cancelled the transaction', () => {
    const error = transactionCancelled('ConditionalCheckFailed', 'TransactionConflict');

    expect(failedConditions(error)).toBeUndefined();
  });

  it('is undefined for a cancelled transaction without reasons', () => {
    expect(failedConditions(new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {} }))).toBeUndefined();
  });

  it('is undefined for an error that is not a cancelled transaction', () => {
    expect(failedConditions(new Error('boom'))).toBeUndefined();
  });
});
