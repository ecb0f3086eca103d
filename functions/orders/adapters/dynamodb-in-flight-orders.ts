import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pendingOrdersIndex } from '#contracts/pending-orders-index';
import { documentClient } from '#shared/aws-clients';
import type { BacklogGauge } from '#shared/resilience/load-shedding';
import { shardKey } from './dynamodb-order-repository';

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
  const { indexName, partitionKey, shardCount } = pendingOrdersIndex;
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
                TableName: tableName,
                IndexName: indexName,
                KeyConditionExpression: '#shard = :shard',
                ExpressionAttributeNames: { '#shard': partitionKey },
                ExpressionAttributeValues: { ':shard': shardKey(shard) },
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
