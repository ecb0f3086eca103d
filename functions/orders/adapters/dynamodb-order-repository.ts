import { createHash } from 'node:crypto';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pendingOrdersIndex } from '#contracts/pending-orders-index';
import { documentClient } from '#shared/aws-clients';
import { recordBusinessMetric } from '#shared/metrics';
import type { OutboxEnvironment } from '#shared/outbox';
import { isTransactionConflict, retryingConflicts } from '#shared/conflict-retry';
import { commitWithOutbox, conditionFailedAt, outboxPuts, type TransactItem } from '#shared/transactions';
import type { Order } from '../domain/order';
import type { OrderRepository, OverdueOrder, OverdueOrders } from '../domain/ports';

const orderKeyPrefix = 'ORDER#';
const orderKey = (orderId: string) => ({ pk: `${orderKeyPrefix}${orderId}` });
const claimKey = (key: string) => ({ pk: `IDEMPOTENCY-KEY#${key}` });
/** How long a client may retry a POST with the same key (Stripe keeps keys 24 h; we keep them a week). */
const claimTtlSeconds = 7 * 24 * 3600;

export const shardKey = (shard: number) => `PENDING#${shard}`;
/** The index partition of an order: spread by a hash of its id, so any id format spreads evenly. */
export const pendingShardOf = (orderId: string): string => shardKey(createHash('sha256').update(orderId).digest().readUInt16BE(0) % pendingOrdersIndex.shardCount);

export function dynamoDbOrderRepository(tableName: string, environment: OutboxEnvironment, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): OrderRepository {
  return {
    async create(order, claim, events, cause) {
      const now = Math.floor(environment.now().getTime() / 1000);
      const TransactItems: TransactItem[] = [
        {
          Put: {
            TableName: tableName,
            Item: { ...claimKey(claim.key), kind: 'idempotency-key', orderId: order.orderId, requestHash: claim.requestHash, expiresAt: now + claimTtlSeconds },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: tableName,
            // The index key puts the PENDING order into the sweep's index (pending-orders-index.ts).
            Item: { ...orderKey(order.orderId), kind: 'order', ...order, [pendingOrdersIndex.partitionKey]: pendingShardOf(order.orderId) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...outboxPuts(tableName, events, cause, environment),
      ];
      try {
        // Identical concurrent POSTs contend for the claim: the losers conflict while the winner commits. Retried,
        // they find its claim committed, their condition fails, and they replay its order below instead of a 500.
        await retryingConflicts(() => client.send(new TransactWriteCommand({ TransactItems })));
        recordBusinessMetric('ordersPlaced', 1, { orderId: order.orderId });
        return { created: true };
      } catch (error) {
        // A conflict that outlasted the retries may still have been with the winner, whose claim is then there to replay.
        if (!conditionFailedAt(error, 0) && !isTransactionConflict(error)) throw error;
        // Strongly consistent: the claim we lost to was committed before our transaction was cancelled.
        const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: claimKey(claim.key), ConsistentRead: true }));
        if (!Item) throw error;
        return { created: false, existing: { orderId: Item.orderId as string, requestHash: Item.requestHash as string } };
      }
    },

    async get(orderId) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }));
      if (!Item) return undefined;
      const { pk: _pk, kind: _kind, [pendingOrdersIndex.partitionKey]: _shard, ...order } = Item;
      return order as Order;
    },

    async transition(order, change, events, cause) {
      const moved = await commitWithOutbox(client, {
        tableName,
        items: [
          {
            Update: {
              TableName: tableName,
              Key: orderKey(order.orderId),
              ConditionExpression: '#status = :pending',
              // Every transition leaves PENDING, so it also takes the order out of the sweep's index.
              UpdateExpression:
                `SET #status = :to, updatedAt = :at, history = list_append(history, :entry)${change.cancellationReason ? ', cancellationReason = :reason' : ''} ` +
                'REMOVE #pendingShard',
              ExpressionAttributeNames: { '#status': 'status', '#pendingShard': pendingOrdersIndex.partitionKey },
              ExpressionAttributeValues: {
                ':pending': 'PENDING',
                ':to': change.to,
                ':at': change.entry.at,
                ':entry': [change.entry],
                ...(change.cancellationReason ? { ':reason': change.cancellationReason } : {}),
              },
            },
          },
        ],
        events,
        cause,
        environment,
      });
      // Committed: the saga of this order has ended (every transition leaves PENDING for a terminal state).
      if (moved) {
        const orderId = order.orderId;
        if (change.to === 'CONFIRMED') recordBusinessMetric('ordersConfirmed', 1, { orderId });
        else recordBusinessMetric('ordersCancelled', 1, { orderId, dimensions: { reason: change.cancellationReason ?? 'UNKNOWN' } });
        recordBusinessMetric('sagaDurationMs', Date.parse(change.entry.at) - Date.parse(order.createdAt), { orderId, dimensions: { outcome: change.to } });
      }
      return moved;
    },
  };
}

/**
 * The sweep's query: every shard of the sparse index, deadline before the
 * cutoff, oldest first. Each shard gives at most its share of `limit`, so a
 * run reads and handles a bounded number of orders whatever the backlog; the
 * rest come in the next runs.
 */
export function dynamoDbOverdueOrders(tableName: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): OverdueOrders {
  const { indexName, partitionKey, sortKey, shardCount } = pendingOrdersIndex;
  return {
    async list(cutoff, limit) {
      const perShard = Math.max(1, Math.ceil(limit / shardCount));
      const pages = await Promise.all(
        Array.from({ length: shardCount }, async (_, shard) => {
          const { Items = [] } = await client.send(
            new QueryCommand({
              TableName: tableName,
              IndexName: indexName,
              KeyConditionExpression: '#shard = :shard AND #deadline < :cutoff',
              ExpressionAttributeNames: { '#shard': partitionKey, '#deadline': sortKey },
              ExpressionAttributeValues: { ':shard': shardKey(shard), ':cutoff': cutoff.toISOString() },
              Limit: perShard,
            }),
          );
          return Items.map((item): OverdueOrder => ({ orderId: String(item.pk).slice(orderKeyPrefix.length), deadline: String(item[sortKey]) }));
        }),
      );
      return pages
        .flat()
        .sort((a, b) => a.deadline.localeCompare(b.deadline))
        .slice(0, limit);
    },
  };
}
