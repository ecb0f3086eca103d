import { requireEnv, requireWholeNumber } from '#shared/config';
import { dynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { apiHandler } from './api';

const clock = { now: () => new Date() };

export const handler = apiHandler({
  orders: dynamoDbOrderRepository(requireEnv('TABLE_NAME'), { region: requireEnv('AWS_REGION'), now: clock.now }),
  clock,
  sagaDeadlineSeconds: requireWholeNumber('SAGA_DEADLINE_SECONDS', { unit: 'seconds', positive: true }),
});
