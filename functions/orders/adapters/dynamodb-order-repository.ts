import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/aws-clients';
import type { OutboxEnvironment } from '#shared/outbox';
import { commitWithOutbox, conditionFailedAt, outboxPuts } from '#shared/transactions';
import type { Order } from '../domain/order';
import type { OrderRepository } from '../domain/ports';

const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}` });
const claimKey = (key: string) => ({ pk: `IDEMPOTENCY-KEY#${key}` });
/** How long a client may retry a POST with the same key (Stripe keeps keys 24 h; we keep them a week). */
const claimTtlSeconds = 7 * 24 * 3600;

export function dynamoDbOrderRepository(tableName: string, environment: OutboxEnvironment): OrderRepository {
  const client = documentClient();
  return {
    async create(order, claim, events, cause) {
      const now = Math.floor(environment.now().getTime() / 1000);
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: { ...claimKey(claim.key), kind: 'idempotency-key', orderId: order.orderId, requestHash: claim.requestHash, expiresAt: now + claimTtlSeconds },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Put: { TableName: tableName, Item: { ...orderKey(order.orderId), kind: 'order', ...order }, ConditionExpression: 'attribute_not_exists(pk)' } },
              ...outboxPuts(tableName, events, cause, environment),
            ],
          }),
        );
        return { created: true };
      } catch (error) {
        if (!conditionFailedAt(error, 0)) throw error;
        // Strongly consistent: the claim we lost to was committed before our transaction was cancelled.
        const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: claimKey(claim.key), ConsistentRead: true }));
        if (!Item) throw error;
        return { created: false, existing: { orderId: Item.orderId as string, requestHash: Item.requestHash as string } };
      }
    },

    async get(orderId) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }));
      if (!Item) return undefined;
      const { pk: _pk, kind: _kind, ...order } = Item;
      return order as Order;
    },

    async transition(order, change, events, cause) {
      return commitWithOutbox(client, {
        tableName,
        items: [
          {
            Update: {
              TableName: tableName,
              Key: orderKey(order.orderId),
              ConditionExpression: '#status = :pending',
              UpdateExpression: `SET #status = :to, updatedAt = :at, history = list_append(history, :entry)${change.cancellationReason ? ', cancellationReason = :reason' : ''}`,
              ExpressionAttributeNames: { '#status': 'status' },
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
    },
  };
}
