import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { eventBridge } from '#shared/aws-clients';
import { requireEnv } from '#shared/config';
import { deadLetter } from '#shared/dead-letter';
import { instrumented, logger } from '#shared/powertools';
import { putEventsReliably } from '#shared/publish-events';
import { delayRedeliveries } from '#shared/redelivery';
import { defaultRedeliveryBackoff } from '#shared/resilience/redelivery-backoff';
import { publishTraced } from '#shared/tracing';
import { forward, type ForwardPorts } from './forward';

const targetRegion = requireEnv('TARGET_REGION');
const queueUrl = requireEnv('QUEUE_URL');
const deadLetterQueueUrl = requireEnv('DEAD_LETTER_QUEUE_URL');

const ports: ForwardPorts = {
  targetBusArn: requireEnv('TARGET_EVENT_BUS_ARN'),
  // Few in-process attempts: during a partition the SQS retries and the DLQ are the buffer, not this function's clock.
  // Each entry continues its order's trace into the other region through a forwarder segment.
  publish: (entries) =>
    publishTraced(entries, (traced) => putEventsReliably(eventBridge(targetRegion), traced, { maxAttempts: 2 }), { component: 'cross-region-forwarder', region: targetRegion }),
  deadLetter: (body, reason) => deadLetter(deadLetterQueueUrl, { body, reason, component: 'cross-region-forwarder' }),
};

export const handler = instrumented(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const retry = await forward(event.Records, ports);
  // While the other region is unreachable, each message comes back ever later (redelivery.ts): quick after a blip, spread out in a partition.
  await delayRedeliveries(queueUrl, event.Records, retry, () => defaultRedeliveryBackoff);
  logger.info('forwarded batch', { targetRegion, records: event.Records.length, retry: retry.length });
  return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
});
