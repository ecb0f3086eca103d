import { subscriptions } from '#contracts/subscriptions';
import { requireEnv } from '#shared/config';
import { eventConsumer } from '#shared/event-consumer';
import { dynamoDbNotificationRepository } from '../adapters/dynamodb-notification-repository';
import { loggingNotifier } from '../adapters/logging-notifier';
import { notifyCustomer } from '../domain/use-cases';

const clock = { now: () => new Date() };
const ports = { notifications: dynamoDbNotificationRepository(requireEnv('TABLE_NAME')), notifier: loggingNotifier(), clock };

/** Tells customers how their orders ended, once per terminal state. */
export const handler = eventConsumer(subscriptions.notifications, {
  component: 'notifications-consumer',
  handlers: {
    OrderConfirmed: (event) => notifyCustomer(event, ports),
    OrderCancelled: (event) => notifyCustomer(event, ports),
  },
  queueUrl: requireEnv('QUEUE_URL'),
  deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL'),
  idempotencyTableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
});
