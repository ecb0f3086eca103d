import { subscriptions } from '#contracts/subscriptions';
import { optionalEnv, requireEnv } from '#shared/config';
import { eventConsumer } from '#shared/event-consumer';
import { dynamoDbPaymentRepository } from '../adapters/dynamodb-payment-repository';
import { httpPaymentProvider } from '../adapters/http-payment-provider';
import { authorizePayment, cancelPayment } from '../domain/use-cases';

function providerTimeoutMs(): number {
  const raw = optionalEnv('PROVIDER_TIMEOUT_MS', '3000');
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`environment variable PROVIDER_TIMEOUT_MS must be a positive whole number of milliseconds (got "${raw}")`);
  return ms;
}

const clock = { now: () => new Date() };
const ports = {
  payments: dynamoDbPaymentRepository(requireEnv('TABLE_NAME'), { region: requireEnv('AWS_REGION'), now: clock.now }),
  provider: httpPaymentProvider({ baseUrl: requireEnv('PROVIDER_URL'), timeoutMs: providerTimeoutMs() }),
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
