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

/** The row with its trace header, or why it can never be published. */
function readOutboxRow(image: Record<string, unknown>): { row: OutboxRow; traceHeader: string | undefined } | string {
  const row = outboxRowSchema.safeParse(image);
  if (!row.success) return row.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  let detail: unknown;
  try {
    detail = JSON.parse(row.data.detail);
  } catch {
    return 'detail: not JSON';
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return 'detail: not a JSON object';
  const traceHeader = (detail as { metadata?: { traceHeader?: unknown } }).metadata?.traceHeader;
  return { row: row.data, traceHeader: typeof traceHeader === 'string' ? traceHeader : undefined };
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
  const candidates: { row: OutboxRow; traceHeader: string | undefined; sequenceNumber: string }[] = [];
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

  const entries: PutEventsRequestEntry[] = candidates.map(({ row, traceHeader }) => ({
    EventBusName: ports.busName,
    Source: row.source,
    DetailType: row.detailType,
    Detail: row.detail,
    ...(traceHeader ? { TraceHeader: traceHeader } : {}),
  }));
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

