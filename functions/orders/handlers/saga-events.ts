import { subscriptions } from '#contracts/subscriptions';
import { requireEnv } from '#shared/config';
import { eventConsumer } from '#shared/event-consumer';
import { dynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { schedulerDeadlineTimers } from '../adapters/scheduler-deadline-timers';
import { applySagaEvent } from '../domain/use-cases';

const clock = { now: () => new Date() };
const region = requireEnv('AWS_REGION');
const ports = {
  orders: dynamoDbOrderRepository(requireEnv('TABLE_NAME'), { region, now: clock.now }),
  clock,
  // This consumer only clears timers (on the terminal transition); the arming consumer sets them.
  timers: schedulerDeadlineTimers({ groupName: requireEnv('SCHEDULE_GROUP_NAME'), region }),
};

/** Moves orders on the outcomes of inventory and payments, and on their own saga deadline. */
export const handler = eventConsumer(subscriptions.orders, {
  component: 'orders-consumer',
  handlers: {
    InventoryRejected: (event) => applySagaEvent(event, ports),
    PaymentAuthorized: (event) => applySagaEvent(event, ports),
    PaymentDeclined: (event) => applySagaEvent(event, ports),
    OrderTimedOut: (event) => applySagaEvent(event, ports),
  },
  queueUrl: requireEnv('QUEUE_URL'),
  deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL'),
  idempotencyTableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
});
