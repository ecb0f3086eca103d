import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { requireEnv } from '#shared/config';
import { deadLetter } from '#shared/dead-letter';
import { instrumented, logger } from '#shared/powertools';
import { awsOutboxPublishPorts } from './aws-publish-ports';
import { relay, type RelayPorts } from './relay';

const deadLetterQueueUrl = requireEnv('DEAD_LETTER_QUEUE_URL');

const ports: RelayPorts = {
  ...awsOutboxPublishPorts('outbox-relay'),
  deadLetter: (body, reason) => deadLetter(deadLetterQueueUrl, { body, reason, component: 'outbox-relay' }),
};

export const handler = instrumented(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const result = await relay(event.Records, ports);
  logger.info('outbox batch relayed', { records: event.Records.length, ...result });
  return { batchItemFailures: result.retryFrom ? [{ itemIdentifier: result.retryFrom }] : [] };
});
