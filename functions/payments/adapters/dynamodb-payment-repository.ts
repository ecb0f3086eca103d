import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/aws-clients';
import { recordBusinessMetric } from '#shared/metrics';
import type { OutboxEnvironment } from '#shared/outbox';
import { commitWithOutbox } from '#shared/transactions';
import type { Payment } from '../domain/payment';
import type { PaymentRepository } from '../domain/ports';

const paymentKey = (orderId: string) => ({ pk: `PAYMENT#${orderId}` });
const attemptKey = (orderId: string) => ({ pk: `ATTEMPT#${orderId}` });
/**
 * An attempt marker matters only while a delivery of the order's
 * InventoryReserved can still arrive: longer than the DLQ retention (14 days)
 * and the idempotency records (7 days).
 */
const attemptTtlSeconds = 30 * 24 * 3600;

export function dynamoDbPaymentRepository(tableName: string, environment: OutboxEnvironment, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): PaymentRepository {
  return {
    async get(orderId) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: paymentKey(orderId), ConsistentRead: true }));
      if (!Item) return undefined;
      return Object.fromEntries(Object.entries(Item).filter(([name]) => name !== 'pk' && name !== 'kind')) as Payment;
    },

    async create(payment, events, cause) {
      return commitWithOutbox(client, {
        tableName,
        items: [{ Put: { TableName: tableName, Item: { ...paymentKey(payment.orderId), kind: 'payment', ...payment }, ConditionExpression: 'attribute_not_exists(pk)' } }],
        events,
        cause,
        environment,
      });
    },

    async transition(orderId, change, events, cause) {
      // Every attribute aliased: no reserved word can ever break the expression.
      const sets = ['#status = :to', '#updatedAt = :at', '#history = list_append(#history, :entry)'];
      const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt', '#history': 'history' };
      if (change.authorizationId !== undefined) {
        sets.push('#authorizationId = :authorizationId');
        names['#authorizationId'] = 'authorizationId';
      }
      if (change.amount !== undefined) {
        sets.push('#amount = :amount');
        names['#amount'] = 'amount';
      }
      const moved = await commitWithOutbox(client, {
        tableName,
        items: [
          {
            Update: {
              TableName: tableName,
              Key: paymentKey(orderId),
              ConditionExpression: '#status = :from',
              UpdateExpression: `SET ${sets.join(', ')}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: {
                ':from': change.from,
                ':to': change.to,
                ':at': change.entry.at,
                ':entry': [change.entry],
                ...(change.authorizationId !== undefined ? { ':authorizationId': change.authorizationId } : {}),
                ...(change.amount !== undefined ? { ':amount': change.amount } : {}),
              },
            },
          },
        ],
        events,
        cause,
        environment,
      });
      if (moved && change.to === 'REFUNDED') recordBusinessMetric('compensations', 1, { orderId, dimensions: { action: 'Refund' } });
      return moved;
    },

    async recordAttempt(orderId, attempt) {
      const expiresAt = Math.floor(environment.now().getTime() / 1000) + attemptTtlSeconds;
      // Unconditional: the latest attempt is what a retry weighs against the provider's key retention, and a retry must not fail on its own marker.
      await client.send(new PutCommand({ TableName: tableName, Item: { ...attemptKey(orderId), kind: 'authorization-attempt', orderId, ...attempt, expiresAt } }));
    },

    async lastAttempt(orderId) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: attemptKey(orderId), ConsistentRead: true }));
      return Item && typeof Item.at === 'string' && typeof Item.eventId === 'string' ? { at: Item.at, eventId: Item.eventId } : undefined;
    },
  };
}
