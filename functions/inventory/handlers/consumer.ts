import { subscriptions } from '#contracts/subscriptions';
import { requireEnv } from '#shared/config';
import { eventConsumer } from '#shared/event-consumer';
import { sagaDeadlineMarginMs } from '#shared/saga-deadline';
import { dynamoDbReservationRepository } from '../adapters/dynamodb-reservation-repository';
import { applyOrderEvent } from '../domain/use-cases';

const clock = { now: () => new Date() };
const ports = { reservations: dynamoDbReservationRepository(requireEnv('TABLE_NAME'), { region: requireEnv('AWS_REGION'), now: clock.now }), clock, sagaDeadlineMarginMs: sagaDeadlineMarginMs() };

/** Reserves stock for placed orders and gives it back when they are cancelled. */
export const handler = eventConsumer(subscriptions.inventory, {
  component: 'inventory-consumer',
  handlers: {
    OrderPlaced: (event) => applyOrderEvent(event, ports),
    OrderCancelled: (event) => applyOrderEvent(event, ports),
  },
  queueUrl: requireEnv('QUEUE_URL'),
  deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL'),
  idempotencyTableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
});
