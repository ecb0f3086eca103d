import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBRecord } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { outboxKind, outboxRowSchema, type OutboxRow } from '#contracts/outbox';
import type { FailedEntry } from '#shared/publish-events';

export interface RelayPorts {
  publish: (entries: PutEventsRequestEntry[]) => Promise<FailedEntry[]>;
  /** Deletes published rows: the outbox then holds exactly the rows not yet published. */
  markPublished: (rows: OutboxRow[]) => Promise<void>;
  deadLetter: (payload: string, reason: string) => Promise<void>;
  busName: string;
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
 * dead-lettered with its reason and stays in the outbox for a redrive; entries
 * still failing after retries are reported from the first one on, so the
 * mapping retries them (bounded, then its on-failure destination).
 */
export async function relay(records: DynamoDBRecord[], ports: RelayPorts): Promise<RelayResult> {
  const candidates: { row: OutboxRow; sequenceNumber: string }[] = [];
  let deadLettered = 0;

  for (const record of records.filter(isOutboxInsert)) {
    const image = unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>);
    const row = outboxRowSchema.safeParse(image);
    if (!row.success) {
      await ports.deadLetter(JSON.stringify(image), `invalid outbox row: ${row.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      deadLettered++;
      continue;
    }
    candidates.push({ row: row.data, sequenceNumber: record.dynamodb!.SequenceNumber! });
  }
  if (candidates.length === 0) return { published: 0, deadLettered };

  const entries: PutEventsRequestEntry[] = candidates.map(({ row }) => {
    const traceHeader = (JSON.parse(row.detail) as { metadata?: { traceHeader?: string } }).metadata?.traceHeader;
    return {
      EventBusName: ports.busName,
      Source: row.source,
      DetailType: row.detailType,
      Detail: row.detail,
      ...(traceHeader ? { TraceHeader: traceHeader } : {}),
    };
  });
  const failures = await ports.publish(entries);

  const failedIndexes = new Set(failures.map((failure) => failure.index));
  for (const failure of failures.filter((f) => !f.retryable)) {
    const { row } = candidates[failure.index]!;
    await ports.deadLetter(JSON.stringify(row), `EventBridge rejected the entry: ${failure.errorCode} ${failure.errorMessage}`.trim());
    deadLettered++;
  }
  const published = candidates.filter((_, index) => !failedIndexes.has(index));
  await ports.markPublished(published.map(({ row }) => row));

  const firstRetryable = failures.find((failure) => failure.retryable);
  return {
    published: published.length,
    deadLettered,
    ...(firstRetryable ? { retryFrom: candidates[firstRetryable.index]!.sequenceNumber } : {}),
  };
}

