import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { outboxRowSchema, type OutboxRow } from '#contracts/outbox';
import type { FailedEntry } from '#shared/publish-events';

/** How outbox rows are published and then removed: the relay's ports, which the sweeper and the operator's redrive use too. */
export interface OutboxPublishPorts {
  /** PutEvents in calls of ≤ 10, retrying only failed entries (`putEventsReliably`); returns what still failed. */
  publish: (entries: PutEventsRequestEntry[]) => Promise<FailedEntry[]>;
  /** Deletes published rows: the outbox then holds exactly the rows not yet published. */
  markPublished: (rows: OutboxRow[]) => Promise<void>;
  busName: string;
}

export interface ReadableOutboxRow {
  row: OutboxRow;
  traceHeader: string | undefined;
}

export interface OutboxPublishOutcome {
  published: OutboxRow[];
  /** Entries that still failed, with the row each was for (retryable or not: `failure.retryable`). */
  failed: { row: OutboxRow; failure: FailedEntry }[];
}

/** The row with its trace header, or why it can never be published. */
export function readOutboxRow(item: Record<string, unknown>): ReadableOutboxRow | string {
  const row = outboxRowSchema.safeParse(item);
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

/**
 * The one way an outbox row is published, whoever found it (the relay from
 * the stream, the sweeper or a redrive from the table): source, detail type
 * and detail byte for byte (so the same eventId, which consumers are
 * idempotent on), the row's trace header, then the published rows deleted.
 * A failed entry's row is left in the outbox.
 */
export async function publishOutboxRows(rows: readonly ReadableOutboxRow[], ports: OutboxPublishPorts): Promise<OutboxPublishOutcome> {
  if (rows.length === 0) return { published: [], failed: [] };
  const entries: PutEventsRequestEntry[] = rows.map(({ row, traceHeader }) => ({
    EventBusName: ports.busName,
    Source: row.source,
    DetailType: row.detailType,
    Detail: row.detail,
    ...(traceHeader ? { TraceHeader: traceHeader } : {}),
  }));
  const failures = await ports.publish(entries);
  const failedIndexes = new Set(failures.map((failure) => failure.index));
  const published = rows.filter((_, index) => !failedIndexes.has(index)).map(({ row }) => row);
  await ports.markPublished(published);
  return { published, failed: failures.map((failure) => ({ row: rows[failure.index]!.row, failure })) };
}
