import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDbLedger } from '../../../functions/payment-provider/adapters/dynamodb-ledger';
import type { LedgerRow } from '../../../functions/payment-provider/domain/authorization';
import { InvalidCursorError } from '../../../functions/payment-provider/domain/ports';
import { scriptedDocumentClient, throws, transactionCancelled } from '../../helpers/scripted-dynamodb';

const row: LedgerRow = {
  kind: 'authorization',
  idempotencyKey: 'order-1',
  orderId: 'order-1',
  amountCents: 1798,
  currency: 'USD',
  status: 'AUTHORIZED',
  authorizationId: 'auth_1',
  createdAt: '2026-11-20T10:00:00.000Z',
};

describe('the DynamoDB ledger', () => {
  it('writes the authorization under its key and a pointer from its id, both on condition that they are new', async () => {
    const { client, sent } = scriptedDocumentClient();

    const created = await dynamoDbLedger('ledger', client).create(row);

    expect(created).toBe(true);
    expect(sent[0]?.input.TransactItems).toEqual([
      { Put: { TableName: 'ledger', Item: { pk: 'AUTH#order-1', ...row }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: 'ledger', Item: { pk: 'AUTHID#auth_1', kind: 'authorization-id', idempotencyKey: 'order-1' }, ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
  });

  it('tells the loser of a race for a key that it lost', async () => {
    const { client } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed', 'None'))]);

    await expect(dynamoDbLedger('ledger', client).create(row)).resolves.toBe(false);
  });

  it('finds an authorization by id through its pointer', async () => {
    const { client, sent } = scriptedDocumentClient([() => ({ Item: { pk: 'AUTHID#auth_1', idempotencyKey: 'order-1' } }), () => ({ Item: { pk: 'AUTH#order-1', ...row } })]);

    const found = await dynamoDbLedger('ledger', client).findByAuthorizationId('auth_1');

    expect(found).toEqual(row);
    expect(sent.map((command) => command.input.Key)).toEqual([{ pk: 'AUTHID#auth_1' }, { pk: 'AUTH#order-1' }]);
  });

  it('forgets a key by moving its row beside it, on condition that the key still holds that row, and re-pointing its id', async () => {
    const { client, sent } = scriptedDocumentClient([() => ({}), throws(transactionCancelled('ConditionalCheckFailed', 'None', 'None'))]);
    const ledger = dynamoDbLedger('ledger', client);

    expect(await ledger.forgetKey(row)).toBe(true);
    expect(await ledger.forgetKey(row)).toBe(false);
    expect(sent[0]?.input.TransactItems).toEqual([
      { Delete: { TableName: 'ledger', Key: { pk: 'AUTH#order-1' }, ConditionExpression: '#authorizationId = :id', ExpressionAttributeNames: { '#authorizationId': 'authorizationId' }, ExpressionAttributeValues: { ':id': 'auth_1' } } },
      { Put: { TableName: 'ledger', Item: { pk: 'AUTH#order-1#forgotten#auth_1', ...row, keyForgotten: true }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: 'ledger', Item: { pk: 'AUTHID#auth_1', kind: 'authorization-id', idempotencyKey: 'order-1', storageKey: 'order-1#forgotten#auth_1' } } },
    ]);
  });

  it('finds and refunds a row whose key was forgotten where it now lives', async () => {
    const forgotten = { ...row, keyForgotten: true as const };
    const { client, sent } = scriptedDocumentClient([() => ({ Item: { pk: 'AUTHID#auth_1', idempotencyKey: 'order-1', storageKey: 'order-1#forgotten#auth_1' } }), () => ({ Item: { pk: 'AUTH#order-1#forgotten#auth_1', ...forgotten } }), () => ({})]);
    const ledger = dynamoDbLedger('ledger', client);

    expect(await ledger.findByAuthorizationId('auth_1')).toEqual(forgotten);
    expect(await ledger.markRefunded({ ...forgotten, status: 'REFUNDED', refundedAt: '2026-11-20T10:01:00.000Z', refundIdempotencyKey: 'refund-order-1' })).toBe(true);
    expect(sent.map((command) => command.input.Key)).toEqual([{ pk: 'AUTHID#auth_1' }, { pk: 'AUTH#order-1#forgotten#auth_1' }, { pk: 'AUTH#order-1#forgotten#auth_1' }]);
  });

  it('refunds only an AUTHORIZED row, reporting any other as false', async () => {
    const { client, sent } = scriptedDocumentClient([() => ({}), throws(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))]);
    const ledger = dynamoDbLedger('ledger', client);
    const refunded = { ...row, status: 'REFUNDED' as const, refundedAt: '2026-11-20T10:01:00.000Z', refundIdempotencyKey: 'refund-order-1' };

    expect(await ledger.markRefunded(refunded)).toBe(true);
    expect(await ledger.markRefunded(refunded)).toBe(false);
    expect(sent[0]?.input).toMatchObject({ Key: { pk: 'AUTH#order-1' }, ConditionExpression: '#status = :authorized' });
  });

  it('scans page after page, never examining more items than rows still wanted, and hands back a cursor', async () => {
    const { client, sent } = scriptedDocumentClient([
      () => ({ Items: [{ pk: 'AUTH#a', ...row }], LastEvaluatedKey: { pk: 'AUTH#a' } }),
      () => ({ Items: [{ pk: 'AUTH#b', ...row }], LastEvaluatedKey: { pk: 'AUTH#b' } }),
    ]);

    const page = await dynamoDbLedger('ledger', client).listByOrder('order-1', { limit: 2 });

    expect(sent.map((command) => command.input.Limit)).toEqual([2, 1]);
    expect(sent[1]?.input.ExclusiveStartKey).toEqual({ pk: 'AUTH#a' });
    expect(page.rows).toHaveLength(2);
    expect(page.cursor).toBeDefined();

    const { client: next, sent: nextSent } = scriptedDocumentClient([() => ({ Items: [] })]);
    const last = await dynamoDbLedger('ledger', next).listByOrder('order-1', { limit: 2, cursor: page.cursor! });
    expect(nextSent[0]?.input.ExclusiveStartKey).toEqual({ pk: 'AUTH#b' });
    expect(last).toEqual({ rows: [] });
  });

  it('returns a short page with a cursor rather than scanning a large table for too long', async () => {
    const { client, sent } = scriptedDocumentClient(Array.from({ length: 30 }, (_, index) => () => ({ Items: [], LastEvaluatedKey: { pk: `AUTH#${index}` } })));

    const page = await dynamoDbLedger('ledger', client).listByOrder('order-1', { limit: 10 });

    expect(sent).toHaveLength(20);
    expect(page.rows).toEqual([]);
    expect(page.cursor).toBeDefined();
  });

  it.each([['not base64 json'], [Buffer.from('{"pk":1}').toString('base64url')], [Buffer.from('{"pk":"a","sk":"b"}').toString('base64url')]])(
    'refuses the cursor %s',
    async (cursor) => {
      const { client } = scriptedDocumentClient();

      await expect(dynamoDbLedger('ledger', client).listByOrder('order-1', { limit: 10, cursor })).rejects.toThrow(InvalidCursorError);
    },
  );
});
