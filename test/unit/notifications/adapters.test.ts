import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDbNotificationRepository } from '../../../functions/notifications/adapters/dynamodb-notification-repository';
import { loggingNotifier } from '../../../functions/notifications/adapters/logging-notifier';
import type { Notification } from '../../../functions/notifications/domain/notification';
import { scriptedDocumentClient, throws } from '../../helpers/scripted-dynamodb';

const tableName = 'notifications';
const notification: Notification = {
  orderId: '5d1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b',
  customerId: 'customer-7',
  state: 'CANCELLED',
  template: 'order-cancelled',
  status: 'SENDING',
  eventId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  createdAt: '2025-01-01T12:00:01.000Z',
};

describe('dynamoDbNotificationRepository', () => {
  it('claims with a put that succeeds only if no row exists for the order and state', async () => {
    const { client, sent } = scriptedDocumentClient();

    const claimed = await dynamoDbNotificationRepository(tableName, client).claim(notification);

    expect(claimed).toBe(true);
    expect(sent).toEqual([
      {
        name: 'PutCommand',
        input: {
          TableName: tableName,
          Item: { pk: `NOTIFICATION#${notification.orderId}#CANCELLED`, kind: 'notification', ...notification },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
  });

  it('reports a lost claim as false', async () => {
    const lost = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    const { client } = scriptedDocumentClient([throws(lost)]);

    const claimed = await dynamoDbNotificationRepository(tableName, client).claim(notification);

    expect(claimed).toBe(false);
  });

  it('marks an existing row SENT and never creates one', async () => {
    const { client, sent } = scriptedDocumentClient();

    await dynamoDbNotificationRepository(tableName, client).markSent(notification.orderId, 'CANCELLED', '2025-01-01T12:00:02.000Z');

    expect(sent[0]).toMatchObject({
      name: 'UpdateCommand',
      input: {
        Key: { pk: `NOTIFICATION#${notification.orderId}#CANCELLED` },
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':sent': 'SENT', ':at': '2025-01-01T12:00:02.000Z' },
      },
    });
  });

  it('reads the row without its table keys', async () => {
    const { client } = scriptedDocumentClient([() => ({ Item: { pk: 'NOTIFICATION#x#CANCELLED', kind: 'notification', ...notification } })]);

    const row = await dynamoDbNotificationRepository(tableName, client).get(notification.orderId, 'CANCELLED');

    expect(row).toEqual(notification);
  });
});

describe('loggingNotifier', () => {
  it('logs the whole message, standing in for an email or SMS channel', async () => {
    const logged: unknown[][] = [];
    const message = { to: 'customer-7', orderId: notification.orderId, template: 'order-cancelled' as const, variables: { reason: 'OUT_OF_STOCK' } };

    await loggingNotifier({ info: (...args: unknown[]) => void logged.push(args) }).send(message);

    expect(logged).toEqual([['notification sent', { notification: message }]]);
  });
});
