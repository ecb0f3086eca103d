import type { DynamoDBRecord } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { outboxKind } from '#contracts/outbox';
import { publishOutboxRows, readOutboxRow, type OutboxPublishPorts, type ReadableOutboxRow } from './publish-rows';

export interface RelayPorts extends OutboxPublishPorts {
  deadLetter: (payload: string, reason: string) => Promise<void>;
}

export interface RelayResult {
  published: number;
  deadLettered: number;
  /** Sequence number of the first record to retry, for the stream mapping's ReportBatchItemFailures. */
  retryFrom?: string;
}

const isOutboxInsert = (record: DynamoDBRecord): boolean =>
  record.eventName === 'INSERT' && record.dynamodb?.NewImage?.kind?.S === outboxKind;

/**
 * Publishes the outbox rows of one stream batch.
 *
 * Primary course:
 * 1. Keep INSERTs of outbox rows (the mapping filters too; this keeps the relay correct where filters are ignored).
 * 2. Publish them in PutEvents calls of ≤ 10, retrying only failed entries.
 * 3. Delete the published rows.
 * Alternatives: an invalid row or an entry EventBridge rejects for good is
 * dead-lettered with its reason and stays in the outbox, for the sweeper; entries
 * still failing after retries are reported from the first one on, so the
 * mapping retries them (bounded, then its on-failure destination).
 */
export async function relay(records: DynamoDBRecord[], ports: RelayPorts): Promise<RelayResult> {
  const candidates: (ReadableOutboxRow & { sequenceNumber: string })[] = [];
  let deadLettered = 0;

  for (const record of records.filter(isOutboxInsert)) {
    const image = unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>);
    const read = readOutboxRow(image);
    if (typeof read === 'string') {
      await ports.deadLetter(JSON.stringify(image), `invalid outbox row: ${read}`);
      deadLettered++;
      continue;
    }
    candidates.push({ ...read, sequenceNumber: record.dynamodb!.SequenceNumber! });
  }
  if (candidates.length === 0) return { published: 0, deadLettered };

  const { published, failed } = await publishOutboxRows(candidates, ports);
  for (const { row, failure } of failed.filter(({ failure }) => !failure.retryable)) {
    await ports.deadLetter(JSON.stringify(row), `EventBridge rejected the entry: ${failure.errorCode} ${failure.errorMessage}`.trim());
    deadLettered++;
  }

  const firstRetryable = failed.find(({ failure }) => failure.retryable);
  return {
    published: published.length,
    deadLettered,
    ...(firstRetryable ? { retryFrom: candidates[firstRetryable.failure.index]!.sequenceNumber } : {}),
  };
}
