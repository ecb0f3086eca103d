import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { eventBridge } from '#shared/aws-clients';
import { optionalWholeNumber, requireEnv } from '#shared/config';
import { deadLetter } from '#shared/dead-letter';
import { instrumented, logger } from '#shared/powertools';
import { putEventsReliably } from '#shared/publish-events';
import { delayRedeliveries, onLastReceive, requeueFresh } from '#shared/redelivery';
import { defaultRedeliveryBackoff } from '#shared/resilience/redelivery-backoff';
import { publishTraced } from '#shared/tracing';
import { forward, type ForwardPorts } from './forward';

const targetRegion = requireEnv('TARGET_REGION');
const queueUrl = requireEnv('QUEUE_URL');
const deadLetterQueueUrl = requireEnv('DEAD_LETTER_QUEUE_URL');
const maxReceiveCount = optionalWholeNumber('MAX_RECEIVE_COUNT', 10, { unit: 'receives', positive: true });

const ports: ForwardPorts = {
  targetBusArn: requireEnv('TARGET_EVENT_BUS_ARN'),
  // Few in-process attempts: during a partition the SQS retries and the DLQ are the buffer, not this function's clock.
  // Each entry continues its order's trace into the other region through a forwarder segment.
  publish: (entries) =>
    publishTraced(entries, (traced) => putEventsReliably(eventBridge(targetRegion), traced, { maxAttempts: 2 }), { component: 'cross-region-forwarder', region: targetRegion }),
  deadLetter: (body, reason) => deadLetter(deadLetterQueueUrl, { body, reason, component: 'cross-region-forwarder' }),
};

export const handler = instrumented(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const retryable = await forward(event.Records, ports);
  // What is left to retry failed only because the other region's bus could not take it: on its last receive it starts
  // again as a fresh message, so a partition however long parks nothing in the DLQ (a failed requeue retries as usual).
  const retry: string[] = [];
  for (const record of event.Records.filter((candidate) => retryable.includes(candidate.messageId))) {
    const requeued = onLastReceive(record, maxReceiveCount) && (await requeueFresh(queueUrl, record, defaultRedeliveryBackoff.maxSeconds).then(() => true, () => false));
    if (!requeued) retry.push(record.messageId);
  }
  // While the other region is unreachable, each message comes back ever later (redelivery.ts): quick after a blip, spread out in a partition.
  await delayRedeliveries(queueUrl, event.Records, retry, () => defaultRedeliveryBackoff);
  logger.info('forwarded batch', { targetRegion, records: event.Records.length, retry: retry.length });
  return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
});
