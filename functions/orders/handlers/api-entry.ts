import { optionalWholeNumber, requireEnv, requireWholeNumber } from '#shared/config';
import { currentControls } from '#shared/controls';
import { logger } from '#shared/powertools';
import { systemClock } from '#shared/resilience/clock';
import { cachedBacklog, cachedReading, withEarlierReading } from '#shared/resilience/load-shedding';
import { sagaDeadlineMarginMs } from '#shared/saga-deadline';
import { breakerTableVariable } from '#contracts/dependency-breaker';
import { dynamoDbBreakerReader } from '../adapters/dynamodb-dependency-breaker';
import { dynamoDbInFlightOrders, dynamoDbOldestInFlight } from '../adapters/dynamodb-in-flight-orders';
import { dynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { apiHandler } from './api';
import { apiLoadShedding } from './load-shedding';

const clock = { now: () => new Date() };
const tableName = requireEnv('TABLE_NAME');
const sagaDeadlineSeconds = requireWholeNumber('SAGA_DEADLINE_SECONDS', { unit: 'seconds', positive: true });
const breakerTable = process.env[breakerTableVariable] || undefined;
const ageQuorum = optionalWholeNumber('ADMISSION_AGE_QUORUM', 3, { unit: 'shards', positive: true });
const cacheMs = optionalWholeNumber('LOAD_SHED_CACHE_MS', 2000, { unit: 'milliseconds' });
const cache = (signal: string) => ({ clock: systemClock, maxAgeMs: cacheMs, onError: (error: unknown) => logger.warn(`${signal} unreadable: not shedding on it`, { error }) });
/** The control document's deadline for new orders (experiments), when fault injection is deployed and it sets one. */
const sagaDeadlineOverride = async () => (await currentControls()).sagaDeadlineSeconds;

export const handler = apiHandler({
  orders: dynamoDbOrderRepository(tableName, { region: requireEnv('AWS_REGION'), now: clock.now }),
  clock,
  sagaDeadlineSeconds,
  // Set by the stack only behind the JWT authorizer (lib/constructs/orders-service.ts).
  ...(process.env.CUSTOMER_CLAIM ? { customerClaim: process.env.CUSTOMER_CLAIM } : {}),
  sagaDeadlineOverride,
  loadShedding: apiLoadShedding({
    controls: () => currentControls(),
    sagaDeadlineSeconds: async () => (await sagaDeadlineOverride()) ?? sagaDeadlineSeconds,
    // Each signal is read every couple of seconds per execution environment, not once per request.
    backlog: cachedBacklog(dynamoDbInFlightOrders(tableName), cache('in-flight orders')),
    oldest: withEarlierReading(cachedReading(dynamoDbOldestInFlight(tableName), cache('oldest in-flight orders')), { clock: systemClock, windowMs: 10_000, minHeads: ageQuorum }),
    // Only where the payments consumer's breaker table is in this region (a single-region topology); unset, that signal is off.
    ...(breakerTable ? { breaker: cachedReading(dynamoDbBreakerReader(breakerTable, 'payment-provider'), cache('payment breaker')) } : {}),
    settings: {
      maxInFlight: requireWholeNumber('LOAD_SHED_MAX_IN_FLIGHT', { unit: 'orders' }),
      marginMs: sagaDeadlineMarginMs(),
      budgetFraction: optionalWholeNumber('ADMISSION_BUDGET_PERCENT', 50, { unit: 'percent', positive: true }) / 100,
      ageQuorum,
      maxRetryAfterSeconds: optionalWholeNumber('ADMISSION_MAX_RETRY_AFTER_SECONDS', 30, { unit: 'seconds', positive: true }),
    },
    now: systemClock.now,
    onInvalidProfile: (error) => logger.warn('resilience profile ignored: using the default', { error: error.message }),
  }),
});
