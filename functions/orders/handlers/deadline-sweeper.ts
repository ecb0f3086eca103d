import { requireEnv, requireWholeNumber } from '#shared/config';
import { instrumented, logger } from '#shared/powertools';
import { dynamoDbOrderRepository, dynamoDbOverdueOrders } from '../adapters/dynamodb-order-repository';
import { schedulerDeadlineTimers } from '../adapters/scheduler-deadline-timers';
import { sweepOverdueOrders, type SweepReport } from '../domain/use-cases';

export class SweepFailedError extends Error {
  override readonly name = 'SweepFailedError';
}

const clock = { now: () => new Date() };
const region = requireEnv('AWS_REGION');
const tableName = requireEnv('TABLE_NAME');
const ports = {
  orders: dynamoDbOrderRepository(tableName, { region, now: clock.now }),
  overdue: dynamoDbOverdueOrders(tableName),
  timers: schedulerDeadlineTimers({ groupName: requireEnv('SCHEDULE_GROUP_NAME'), region }),
  clock,
  region,
};
const policy = {
  graceSeconds: requireWholeNumber('SWEEP_GRACE_SECONDS', { unit: 'seconds' }),
  limit: requireWholeNumber('SWEEP_LIMIT', { unit: 'orders', positive: true }),
};

/**
 * Runs once a minute (an EventBridge schedule rule): cancels the PENDING
 * orders whose deadline timer did not (lost, failed to set, dead-lettered).
 * Orders it could not handle make the run fail after the others are done, so
 * the failure reaches the sweeper's DLQ and its alarm; the next run retries them.
 */
export const handler = instrumented(async (): Promise<SweepReport> => {
  const report = await sweepOverdueOrders(ports, policy);
  if (report.examined > 0) logger.info('deadline sweep', { ...report });
  if (report.failed.length > 0) throw new SweepFailedError(`${report.failed.length} overdue order(s) could not be cancelled: ${JSON.stringify(report.failed).slice(0, 2_000)}`);
  return report;
});
