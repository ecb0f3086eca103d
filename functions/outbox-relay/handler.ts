import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient, eventBridge } from '#shared/aws-clients';
import { requireEnv } from '#shared/config';
import { deadLetter } from '#shared/dead-letter';
import { instrumented, logger } from '#shared/powertools';
import { putEventsReliably } from '#shared/publish-events';
import { sleep } from '#shared/retry';
import { publishTraced } from '#shared/tracing';
import { relay, type RelayPorts } from './relay';

const tableName = requireEnv('TABLE_NAME');
const busName = requireEnv('EVENT_BUS_NAME');
const deadLetterQueueUrl = requireEnv('DEAD_LETTER_QUEUE_URL');

/** BatchWriteItem takes at most 25 requests and may return some unprocessed. */
async function deleteRows(keys: { pk: string }[]): Promise<void> {
  for (let start = 0; start < keys.length; start += 25) {
    let requests = keys.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) await sleep(50 * 2 ** Math.min(attempt, 6));
      const response = await documentClient().send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (response.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      if (attempt >= 8 && requests.length > 0) {
        // Leaving a published row behind is safe: a redrive republishes it and consumers are idempotent.
        logger.warn('could not delete published outbox rows', { remaining: requests.length });
        return;
      }
    }
  }
}

const ports: RelayPorts = {
  busName,
  // Each entry continues its own order's trace (the header its outbox row carries) through a relay segment.
  publish: (entries) => publishTraced(entries, (traced) => putEventsReliably(eventBridge(), traced), { component: 'outbox-relay', region: requireEnv('AWS_REGION') }),
  markPublished: (rows) => deleteRows(rows.map(({ pk }) => ({ pk }))),
  deadLetter: (body, reason) => deadLetter(deadLetterQueueUrl, { body, reason, component: 'outbox-relay' }),
};

export const handler = instrumented(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const result = await relay(event.Records, ports);
  logger.info('outbox batch relayed', { records: event.Records.length, ...result });
  return { batchItemFailures: result.retryFrom ? [{ itemIdentifier: result.retryFrom }] : [] };
});
