import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { documentClient } from '#shared/aws-clients';
import { notificationStatuses, templates, terminalStates, type Notification, type TerminalState } from '../domain/notification';
import type { NotificationRepository } from '../domain/ports';

const notificationKey = (orderId: string, state: TerminalState) => ({ pk: `NOTIFICATION#${orderId}#${state}` });

/** Reads a row back into the domain type; unknown attributes (pk, kind) are stripped, a corrupt row fails loudly. */
const notificationRowSchema = z.object({
  orderId: z.string(),
  customerId: z.string(),
  state: z.enum(terminalStates),
  template: z.enum(templates),
  status: z.enum(notificationStatuses),
  eventId: z.string(),
  createdAt: z.string(),
  sentAt: z.string().optional(),
}) satisfies z.ZodType<Notification>;

/** `client` defaults to the traced singleton; tests pass a fake that records commands. */
export function dynamoDbNotificationRepository(tableName: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): NotificationRepository {
  return {
    async get(orderId, state) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: notificationKey(orderId, state), ConsistentRead: true }));
      return Item && notificationRowSchema.parse(Item);
    },

    async claim(notification) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...notificationKey(notification.orderId, notification.state), kind: 'notification', ...notification },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async markSent(orderId, state, sentAt) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: notificationKey(orderId, state),
          // Never create a row here: a SENT row without its claim would hide a lost claim.
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: 'SET #status = :sent, #sentAt = :at',
          ExpressionAttributeNames: { '#status': 'status', '#sentAt': 'sentAt' },
          ExpressionAttributeValues: { ':sent': 'SENT', ':at': sentAt },
        }),
      );
    },
  };
}
