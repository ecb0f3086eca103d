import { subscriptions } from '#contracts/subscriptions';
import { requireEnv } from '#shared/config';
import { eventConsumer } from '#shared/event-consumer';
import { dynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { applySagaEvent } from '../domain/use-cases';

const clock = { now: () => new Date() };
const ports = { orders: dynamoDbOrderRepository(requireEnv('TABLE_NAME'), { region: requireEnv('AWS_REGION'), now: clock.now }), clock };

/** Moves orders on the outcomes of inventory and payments. */
export const handler = eventConsumer(subscriptions.orders, {
  component: 'orders-consumer',
  handlers: {
    InventoryRejected: (event) => applySagaEvent(event, ports),
    PaymentAuthorized: (event) => applySagaEvent(event, ports),
    PaymentDeclined: (event) => applySagaEvent(event, ports),
  },
  deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL'),
  idempotencyTableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
});
