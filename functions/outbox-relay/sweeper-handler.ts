import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { outboxMetrics } from '#contracts/outbox';
import { documentClient } from '#shared/aws-clients';
import { requireEnv, requireWholeNumber } from '#shared/config';
import { metrics } from '#shared/metrics';
import { instrumented, logger } from '#shared/powertools';
import { awsOutboxPublishPorts } from './aws-publish-ports';
import { dynamoDbUnpublishedOutbox } from './dynamodb-outbox';
import { sweepOutbox, type OutboxSweepPorts, type OutboxSweepReport } from './sweeper';

const context = requireEnv('CONTEXT_NAME');
const ports: OutboxSweepPorts = {
  // The relay's publisher and deletion, so a swept row is published exactly as the relay would have.
  ...awsOutboxPublishPorts('outbox-sweeper'),
  outbox: dynamoDbUnpublishedOutbox(requireEnv('TABLE_NAME'), documentClient()),
  clock: { now: () => new Date() },
};
const policy = {
  boundSeconds: requireWholeNumber('OUTBOX_SWEEP_BOUND_SECONDS', { unit: 'seconds', positive: true }),
  pageSize: 50,
  // The function's timeout is 50 s and the next run starts a minute after this one.
  budgetMs: 35_000,
};

/**
 * Runs once a minute (an EventBridge schedule rule): publishes the outbox rows
 * older than the bound, and reports the age of the oldest unpublished row.
 * Rows PutEvents refuses stay in the outbox and the run still succeeds: the
 * next run retries them, and the age metric (its alarm) is what tells an
 * operator, not a DLQ message per minute. Only an error of its own (DynamoDB)
 * fails the run, which then reaches the sweeper's DLQ and its alarm.
 */
export const handler = instrumented(async (): Promise<OutboxSweepReport> => {
  const report = await sweepOutbox(ports, policy);
  const metric = metrics.singleMetric();
  metric.addDimension('context', context);
  metric.addMetric(outboxMetrics.oldestUnpublishedAge, MetricUnit.Seconds, report.oldestAgeSeconds);
  if (report.examined > 0 || report.truncated) {
    const unhealed = report.failed.length > 0 || report.invalid.length > 0 || report.truncated;
    logger[unhealed ? 'warn' : 'info']('outbox sweep', { ...report, failed: report.failed.slice(0, 20), invalid: report.invalid.slice(0, 20) });
  }
  return report;
});
