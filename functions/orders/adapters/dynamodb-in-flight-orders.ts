import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pendingOrdersIndex } from '#contracts/pending-orders-index';
import { documentClient } from '#shared/aws-clients';
import type { BacklogGauge } from '#shared/resilience/load-shedding';
import { shardKey } from './dynamodb-order-repository';

const { indexName, partitionKey, sortKey, shardCount } = pendingOrdersIndex;

/** One shard of the pending-orders index, in deadline order. */
const shardQuery = (tableName: string, shard: number) => ({
  TableName: tableName,
  IndexName: indexName,
  KeyConditionExpression: '#shard = :shard',
  ExpressionAttributeNames: { '#shard': partitionKey },
  ExpressionAttributeValues: { ':shard': shardKey(shard) },
});

/**
 * The backlog the orders API sheds on: orders accepted whose saga has not
 * ended (PENDING), counted on the sparse index that holds exactly those
 * (pending-orders-index.ts). It is the whole pipeline's backlog in one number,
 * in the API's own table and region: an order waiting for inventory, for the
 * forwarder, for the provider in the other region all count. Counting stops
 * once `atLeast` is reached (the caller only needs to know whether the limit
 * is reached), so a read costs at most that many small index entries.
 */
export function dynamoDbInFlightOrders(tableName: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): BacklogGauge {
  return {
    async read(atLeast) {
      if (atLeast <= 0) return 0;
      let total = 0;
      await Promise.all(
        Array.from({ length: shardCount }, async (_, shard) => {
          let startKey: Record<string, unknown> | undefined;
          do {
            const page = await client.send(
              new QueryCommand({
                ...shardQuery(tableName, shard),
                Select: 'COUNT',
                Limit: atLeast,
                ...(startKey ? { ExclusiveStartKey: startKey } : {}),
              }),
            );
            total += page.Count ?? 0;
            startKey = page.LastEvaluatedKey;
          } while (startKey && total < atLeast);
        }),
      );
      return total;
    },
  };
}

/**
 * The earliest deadline (epoch ms) of each shard that holds an order in
 * flight: one `Limit: 1` query per shard in deadline order (the sort key is
 * the deadline, ISO 8601, so text order is time order), 16 small reads. The
 * admission control turns each into the age of the shard's oldest order
 * (deadline − the saga deadline), so a stuck pipeline shows as old work,
 * however few orders are in it.
 */
export function dynamoDbOldestInFlight(tableName: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): () => Promise<number[]> {
  return async () => {
    const heads = await Promise.all(
      Array.from({ length: shardCount }, async (_, shard) => {
        const { Items = [] } = await client.send(
          new QueryCommand({
            ...shardQuery(tableName, shard),
            ExpressionAttributeNames: { '#shard': partitionKey, '#deadline': sortKey },
            ProjectionExpression: '#deadline',
            ScanIndexForward: true,
            Limit: 1,
          }),
        );
        const deadline = Items[0]?.[sortKey];
        return typeof deadline === 'string' ? Date.parse(deadline) : Number.NaN;
      }),
    );
    return heads.filter((deadline) => !Number.isNaN(deadline));
  };
}
