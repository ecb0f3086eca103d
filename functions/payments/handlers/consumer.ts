import { subscriptions } from '#contracts/subscriptions';
import { optionalWholeNumber, requireEnv } from '#shared/config';
import { eventConsumer } from '#shared/event-consumer';
import { dynamoDbPaymentRepository } from '../adapters/dynamodb-payment-repository';
import { httpPaymentProvider } from '../adapters/http-payment-provider';
import { authorizePayment, cancelPayment } from '../domain/use-cases';

const clock = { now: () => new Date() };
const ports = {
  payments: dynamoDbPaymentRepository(requireEnv('TABLE_NAME'), { region: requireEnv('AWS_REGION'), now: clock.now }),
  provider: httpPaymentProvider({ baseUrl: requireEnv('PROVIDER_URL'), timeoutMs: optionalWholeNumber('PROVIDER_TIMEOUT_MS', 3000, { unit: 'milliseconds', positive: true }) }),
  clock,
};

/** Charges reserved orders and gives the money back when they are cancelled. */
export const handler = eventConsumer(subscriptions.payments, {
  component: 'payments-consumer',
  handlers: {
    InventoryReserved: (event) => authorizePayment(event, ports),
    OrderCancelled: (event) => cancelPayment(event, ports),
  },
  deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL'),
  idempotencyTableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
});
