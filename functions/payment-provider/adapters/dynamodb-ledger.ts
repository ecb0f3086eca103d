import { GetCommand, ScanCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '#shared/aws-clients';
import { conditionFailedAt } from '#shared/transactions';
import { ledgerStorageKey, type LedgerRow } from '../domain/authorization';
import { InvalidCursorError, type Ledger } from '../domain/ports';

const authorizationKey = (idempotencyKey: string) => ({ pk: `AUTH#${idempotencyKey}` });
/** Where a row lives once its key is forgotten: still an `AUTH#` row (the auditor reads them all), no longer under the key. */
const forgottenKey = (row: LedgerRow) => ledgerStorageKey({ ...row, keyForgotten: true });
/** Points an authorization id at its key: refunds and look-ups arrive with the id, the row is keyed by the key. */
const authorizationIdKey = (authorizationId: string) => ({ pk: `AUTHID#${authorizationId}` });
/** Bounds one ledger request, so a large table cannot time the function out; the client follows the cursor. */
const maxScanPagesPerRequest = 20;

const encodeCursor = (key: Record<string, unknown>): string => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeCursor(cursor: string): { pk: string } {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof key === 'object' && key !== null && Object.keys(key).length === 1 && typeof (key as { pk?: unknown }).pk === 'string') return key as { pk: string };
  } catch {
    // Falls through to the same error as a well-formed cursor of the wrong shape.
  }
  throw new InvalidCursorError();
}

const toRow = (item: Record<string, unknown>): LedgerRow => Object.fromEntries(Object.entries(item).filter(([name]) => name !== 'pk')) as unknown as LedgerRow;

/**
 * The ledger in one DynamoDB table keyed by `pk`: `AUTH#<idempotencyKey>` holds
 * the authorization, `AUTHID#<authorizationId>` points back at its key. Both
 * are written in one transaction, so no id ever points at nothing, and the
 * condition on the first one makes the key the unit of charging.
 */
export function dynamoDbLedger(tableName: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): Ledger {
  const get = async (idempotencyKey: string): Promise<LedgerRow | undefined> => {
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: authorizationKey(idempotencyKey), ConsistentRead: true }));
    return Item ? toRow(Item) : undefined;
  };

  return {
    get,

    async findByAuthorizationId(authorizationId) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: authorizationIdKey(authorizationId), ConsistentRead: true }));
      return Item ? get((Item.storageKey ?? Item.idempotencyKey) as string) : undefined;
    },

    async forgetKey(row) {
      const forgotten = { ...row, keyForgotten: true as const };
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: tableName, Key: authorizationKey(row.idempotencyKey), ConditionExpression: '#authorizationId = :id', ExpressionAttributeNames: { '#authorizationId': 'authorizationId' }, ExpressionAttributeValues: { ':id': row.authorizationId } } },
              { Put: { TableName: tableName, Item: { ...authorizationKey(forgottenKey(row)), ...forgotten }, ConditionExpression: 'attribute_not_exists(pk)' } },
              { Put: { TableName: tableName, Item: { ...authorizationIdKey(row.authorizationId), kind: 'authorization-id', idempotencyKey: row.idempotencyKey, storageKey: forgottenKey(row) } } },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailedAt(error, 0) || conditionFailedAt(error, 1)) return false;
        throw error;
      }
    },

    async create(row) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: tableName, Item: { ...authorizationKey(row.idempotencyKey), ...row }, ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                Put: {
                  TableName: tableName,
                  Item: { ...authorizationIdKey(row.authorizationId), kind: 'authorization-id', idempotencyKey: row.idempotencyKey },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (conditionFailedAt(error, 0)) return false;
        throw error;
      }
    },

    async markRefunded(row) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: authorizationKey(ledgerStorageKey(row)),
            ConditionExpression: '#status = :authorized',
            UpdateExpression: 'SET #status = :refunded, #refundedAt = :at, #refundIdempotencyKey = :key',
            ExpressionAttributeNames: { '#status': 'status', '#refundedAt': 'refundedAt', '#refundIdempotencyKey': 'refundIdempotencyKey' },
            ExpressionAttributeValues: { ':authorized': 'AUTHORIZED', ':refunded': 'REFUNDED', ':at': row.refundedAt, ':key': row.refundIdempotencyKey },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async listByOrder(orderId, { limit, cursor }) {
      // A Scan is fine for a simulator's audit endpoint; a real ledger would index by order.
      const rows: LedgerRow[] = [];
      let startKey: Record<string, unknown> | undefined = cursor ? decodeCursor(cursor) : undefined;
      for (let page = 0; page < maxScanPagesPerRequest; page++) {
        const result = await client.send(
          new ScanCommand({
            TableName: tableName,
            // Never examines more items than rows still wanted, so a page never overflows the limit and the cursor stays exact.
            Limit: limit - rows.length,
            FilterExpression: '#kind = :kind AND #orderId = :orderId',
            ExpressionAttributeNames: { '#kind': 'kind', '#orderId': 'orderId' },
            ExpressionAttributeValues: { ':kind': 'authorization', ':orderId': orderId },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        rows.push(...(result.Items ?? []).map(toRow));
        startKey = result.LastEvaluatedKey;
        if (!startKey || rows.length >= limit) break;
      }
      return { rows, ...(startKey ? { cursor: encodeCursor(startKey) } : {}) };
    },
  };
}
