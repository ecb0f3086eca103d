import { deadlineArmingSubscription } from '#contracts/subscriptions';
import { requireEnv } from '#shared/config';
import { eventConsumer } from '#shared/event-consumer';
import { dynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { schedulerDeadlineTimers } from '../adapters/scheduler-deadline-timers';
import { armDeadline } from '../domain/use-cases';

const clock = { now: () => new Date() };
const region = requireEnv('AWS_REGION');
const ports = {
  // Read only: the order row says whether the order is still PENDING and when its deadline is.
  orders: dynamoDbOrderRepository(requireEnv('TABLE_NAME'), { region, now: clock.now }),
  timers: schedulerDeadlineTimers({
    groupName: requireEnv('SCHEDULE_GROUP_NAME'),
    region,
    target: {
      queueArn: requireEnv('TIMER_TARGET_QUEUE_ARN'),
      deadLetterQueueArn: requireEnv('TIMER_DEAD_LETTER_QUEUE_ARN'),
      roleArn: requireEnv('SCHEDULER_ROLE_ARN'),
    },
  }),
  clock,
  region,
};

/**
 * Sets each order's saga-deadline timer from its committed OrderPlaced (never
 * from the API, whose call after the commit could fail and leave no timer).
 */
export const handler = eventConsumer(deadlineArmingSubscription, {
  component: 'orders-deadline-arming',
  handlers: {
    OrderPlaced: (event) => armDeadline(event, ports),
  },
  queueUrl: requireEnv('QUEUE_URL'),
  deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL'),
  idempotencyTableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
});
