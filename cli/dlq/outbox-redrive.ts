import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { outboxKind, outboxRowSchema, type OutboxRow } from '#contracts/outbox';
import { putEventsReliably } from '#shared/publish-events';
import type { Deployment } from '../deployment';
import type { DeadLetterQueueInfo } from './catalog';
import { readAll, release } from './sqs-redrive';
import type { DeadLetteredMessage, MessageFilter } from './messages';
import { matches } from './messages';

/** Every region's bus has this name (lib/stacks/region-stack.ts). */
const busName = 'duckstore';

export interface OutboxRedriveOptions {
  filter: MessageFilter;
  dryRun: boolean;
  /**
   * Only rows at least this old: a younger row may be in the relay's hands
   * right now (publishing it too would only make a duplicate, which consumers
   * absorb, but there is no need). @default 60
   */
  olderThanSeconds?: number;
  ratePerSecond?: number;
  limit?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface OutboxRedriveResult {
  method: 'outbox-republish';
  /** Unpublished rows old enough that matched the filter. */
  matched: number;
  /** Rows re-published (and then deleted from the outbox, as the relay does). */
  moved: number;
  skipped: number;
  failed: number;
  eventTypes: Record<string, number>;
  /** DLQ notices (stream on-failure metadata, parked rows) cleared because their rows were handled. */
  noticesCleared: number;
}

const asMessageLike = (row: OutboxRow): Pick<DeadLetteredMessage, 'reason' | 'origin' | 'event'> => ({
  reason: 'unpublished outbox row',
  origin: 'stream-failure',
  event: { eventId: row.eventId, type: row.detailType, orderId: row.correlationId, body: row },
});

/** The outbox rows of a state table (the rows the relay has not published and deleted yet). */
export async function unpublishedRows(documents: DynamoDBDocumentClient, tableName: string): Promise<OutboxRow[]> {
  const rows: OutboxRow[] = [];
  for await (const page of paginateScan(
    { client: documents },
    { TableName: tableName, FilterExpression: '#kind = :outbox', ExpressionAttributeNames: { '#kind': 'kind' }, ExpressionAttributeValues: { ':outbox': outboxKind }, ConsistentRead: true },
  )) {
    for (const item of page.Items ?? []) {
      const parsed = outboxRowSchema.safeParse(item);
      if (parsed.success) rows.push(parsed.data);
    }
  }
  return rows.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * The outbox relay's redrive: re-publish from the outbox. The table is the
 * truth (the relay deletes a row once published, so every row left is
 * unpublished), and the DLQ holds only notices: stream on-failure metadata
 * (AWS), or rows the relay parked with the reason. Ministack drops a failed
 * stream batch without any notice, so the redrive sweeps the table for old
 * rows whether or not a notice exists. Each row is published as the relay
 * would (same source, detail type and detail, so the same eventId), then
 * deleted; a crash in between republishes it next time, which consumers
 * absorb (idempotent on eventId). Notices are deleted at the end when no
 * matching row is left unpublished.
 */
export async function redriveOutbox(deployment: Deployment, queue: DeadLetterQueueInfo, options: OutboxRedriveOptions): Promise<OutboxRedriveResult> {
  if (!queue.tableName) throw new Error(`no outbox table found next to ${queue.name}`);
  const config = deployment.target.aws(queue.region);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const sqs = new SQSClient(config);
  const eventBridge = new EventBridgeClient(config);
  const wait = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const now = (options.now ?? (() => new Date()))().getTime();
  const bound = (options.olderThanSeconds ?? 60) * 1000;

  const rows = await unpublishedRows(documents, queue.tableName);
  const old = rows.filter((row) => now - Date.parse(row.createdAt) >= bound);
  const selected = old.filter((row) => matches({ ...asMessageLike(row), messageId: '', receiptHandle: '', receiveCount: 0, sentAt: undefined, raw: {} }, options.filter)).slice(0, options.limit ?? Infinity);
  const result: OutboxRedriveResult = { method: 'outbox-republish', matched: selected.length, moved: 0, skipped: rows.length - selected.length, failed: 0, eventTypes: {}, noticesCleared: 0 };
  for (const row of selected) result.eventTypes[row.detailType] = (result.eventTypes[row.detailType] ?? 0) + 1;
  if (options.dryRun) return result;

  const chunkSize = 10;
  for (let start = 0; start < selected.length; start += chunkSize) {
    const began = Date.now();
    const chunk = selected.slice(start, start + chunkSize);
    const failures = await putEventsReliably(
      eventBridge,
      chunk.map((row) => ({ EventBusName: busName, Source: row.source, DetailType: row.detailType, Detail: row.detail })),
    );
    const failed = new Set(failures.map((failure) => failure.index));
    result.failed += failed.size;
    for (const [index, row] of chunk.entries()) {
      if (failed.has(index)) continue;
      // Only the row as it was read: a row rewritten meanwhile is not ours to delete.
      await documents.send(new DeleteCommand({ TableName: queue.tableName, Key: { pk: row.pk }, ConditionExpression: 'attribute_exists(pk)' })).catch((error: Error) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      });
      result.moved++;
    }
    if (options.ratePerSecond) {
      const minimumMs = (chunk.length / options.ratePerSecond) * 1000;
      const elapsed = Date.now() - began;
      if (elapsed < minimumMs) await wait(minimumMs - elapsed);
    }
  }

  // The notices: a parked row is done once it is out of the outbox; a stream notice once no old row is left.
  const remaining = new Set((await unpublishedRows(documents, queue.tableName)).filter((row) => now - Date.parse(row.createdAt) >= bound).map((row) => row.eventId));
  const notices = await readAll(sqs, queue.url, 60);
  const done = notices.filter((notice) => (notice.event?.eventId ? !remaining.has(notice.event.eventId) && matches(notice, options.filter) : remaining.size === 0));
  for (let start = 0; start < done.length; start += 10) {
    const deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: done.slice(start, start + 10).map((notice, index) => ({ Id: String(index), ReceiptHandle: notice.receiptHandle })) }));
    result.noticesCleared += deleted.Successful?.length ?? 0;
  }
  await release(sqs, queue.url, notices.filter((notice) => !done.includes(notice)));
  return result;
}
