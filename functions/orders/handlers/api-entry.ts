import { optionalWholeNumber, requireEnv, requireWholeNumber } from '#shared/config';
import { currentControls } from '#shared/controls';
import { logger } from '#shared/powertools';
import { systemClock } from '#shared/resilience/clock';
import { cachedBacklog } from '#shared/resilience/load-shedding';
import { dynamoDbInFlightOrders } from '../adapters/dynamodb-in-flight-orders';
import { dynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { apiHandler } from './api';
import { apiLoadShedding } from './load-shedding';

const clock = { now: () => new Date() };
const tableName = requireEnv('TABLE_NAME');

export const handler = apiHandler({
  orders: dynamoDbOrderRepository(tableName, { region: requireEnv('AWS_REGION'), now: clock.now }),
  clock,
  sagaDeadlineSeconds: requireWholeNumber('SAGA_DEADLINE_SECONDS', { unit: 'seconds', positive: true }),
  loadShedding: apiLoadShedding({
    controls: () => currentControls(),
    // One count every couple of seconds per execution environment, not one per request.
    backlog: cachedBacklog(dynamoDbInFlightOrders(tableName), {
      clock: systemClock,
      maxAgeMs: optionalWholeNumber('LOAD_SHED_CACHE_MS', 2000, { unit: 'milliseconds' }),
      onError: (error) => logger.warn('in-flight orders unreadable: not shedding', { error }),
    }),
    maxInFlight: requireWholeNumber('LOAD_SHED_MAX_IN_FLIGHT', { unit: 'orders' }),
    onInvalidProfile: (error) => logger.warn('resilience profile ignored: using the default', { error: error.message }),
  }),
});
