import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { SQSClient, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { outboxKind, outboxRowSchema, type OutboxRow } from '#contracts/outbox';
import { putEventsReliably } from '#shared/publish-events';
import { deleteOutboxRows } from '../../functions/outbox-relay/dynamodb-outbox';
import type { OutboxPublishPorts } from '../../functions/outbox-relay/publish-rows';
import { sweepOutbox, type UnpublishedOutbox } from '../../functions/outbox-relay/sweeper';
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

/** Holds each PutEvents round to `ratePerSecond` entries, so a large redrive does not crowd out the relays. */
function paced(publish: OutboxPublishPorts['publish'], ratePerSecond: number, wait: (ms: number) => Promise<void>): OutboxPublishPorts['publish'] {
  return async (entries) => {
    const began = Date.now();
    const failures = await publish(entries);
    const minimumMs = (entries.length / ratePerSecond) * 1000;
    const elapsed = Date.now() - began;
    if (elapsed < minimumMs) await wait(minimumMs - elapsed);
    return failures;
  };
}

/**
 * The outbox relay's redrive: re-publish from the outbox. The table is the
 * truth (the relay deletes a row once published, so every row left is
 * unpublished), and the DLQ holds only notices: stream on-failure metadata
 * (AWS), or rows the relay parked with the reason. Ministack drops a failed
 * stream batch without any notice, so the redrive sweeps the table for old
 * rows whether or not a notice exists. The rows go through the outbox
 * sweeper's code (the sweeper does the same every minute on its own; this is
 * the operator's way to do it now, for a selection, at a rate), so each is
 * published as the relay would (same source, detail type and detail, so the
 * same eventId), then deleted; a crash in between republishes it next time,
 * which consumers absorb (idempotent on eventId). Notices are deleted at the
 * end when no matching row is left unpublished.
 */
export async function redriveOutbox(deployment: Deployment, queue: DeadLetterQueueInfo, options: OutboxRedriveOptions): Promise<OutboxRedriveResult> {
  if (!queue.tableName) throw new Error(`no outbox table found next to ${queue.name}`);
  const tableName = queue.tableName;
  const config = deployment.target.aws(queue.region);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const sqs = new SQSClient(config);
  const eventBridge = new EventBridgeClient(config);
  const wait = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const clock = { now: options.now ?? (() => new Date()) };
  const now = clock.now().getTime();
  const boundSeconds = options.olderThanSeconds ?? 60;

  const rows = await unpublishedRows(documents, tableName);
  const old = rows.filter((row) => now - Date.parse(row.createdAt) >= boundSeconds * 1000);
  const selected = old.filter((row) => matches({ ...asMessageLike(row), messageId: '', receiptHandle: '', receiveCount: 0, sentAt: undefined, raw: {} }, options.filter)).slice(0, options.limit ?? Infinity);
  const result: OutboxRedriveResult = { method: 'outbox-republish', matched: selected.length, moved: 0, skipped: rows.length - selected.length, failed: 0, eventTypes: {}, noticesCleared: 0 };
  for (const row of selected) result.eventTypes[row.detailType] = (result.eventTypes[row.detailType] ?? 0) + 1;
  if (options.dryRun) return result;

  // The sweeper's own run (functions/outbox-relay/sweeper.ts), over the rows the operator selected instead of the index:
  // a Scan, run by hand, also reaches rows written before the index existed. The bound was applied above.
  const pageSize = 10;
  const selection: UnpublishedOutbox = {
    oldestCreatedAt: async () => selected[0]?.createdAt,
    async *olderThan() {
      for (let start = 0; start < selected.length; start += pageSize) yield selected.slice(start, start + pageSize);
    },
  };
  const publish = (entries: PutEventsRequestEntry[]) => putEventsReliably(eventBridge, entries);
  const report = await sweepOutbox(
    {
      busName,
      outbox: selection,
      clock,
      publish: options.ratePerSecond ? paced(publish, options.ratePerSecond, wait) : publish,
      markPublished: deleteOutboxRows(tableName, documents),
    },
    { boundSeconds: 0, pageSize, budgetMs: Infinity },
  );
  result.moved = report.published;
  result.failed = report.failed.length + report.invalid.length;

  // The notices: a parked row is done once it is out of the outbox; a stream notice once no old row is left.
  const remaining = new Set((await unpublishedRows(documents, tableName)).filter((row) => now - Date.parse(row.createdAt) >= boundSeconds * 1000).map((row) => row.eventId));
  const notices = await readAll(sqs, queue.url, 60);
  const done = notices.filter((notice) => (notice.event?.eventId ? !remaining.has(notice.event.eventId) && matches(notice, options.filter) : remaining.size === 0));
  for (let start = 0; start < done.length; start += 10) {
    const deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: done.slice(start, start + 10).map((notice, index) => ({ Id: String(index), ReceiptHandle: notice.receiptHandle })) }));
    result.noticesCleared += deleted.Successful?.length ?? 0;
  }
  await release(sqs, queue.url, notices.filter((notice) => !done.includes(notice)));
  return result;
}
