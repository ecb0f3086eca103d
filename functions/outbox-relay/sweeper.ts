import { publishOutboxRows, readOutboxRow, type OutboxPublishPorts } from './publish-rows';

/** Where a sweep finds the unpublished rows of one table (the outbox holds only those: the relay deletes what it publishes). */
export interface UnpublishedOutbox {
  /** `createdAt` of the oldest unpublished row, or undefined when the outbox is empty. */
  oldestCreatedAt(): Promise<string | undefined>;
  /** Every unpublished row created before `cutoff`, in pages of at most `pageSize`, each row as the table holds it now. */
  olderThan(cutoff: Date, pageSize: number): AsyncIterable<Record<string, unknown>[]>;
}

export interface OutboxSweepPorts extends OutboxPublishPorts {
  outbox: UnpublishedOutbox;
  clock: { now: () => Date };
}

export interface OutboxSweepPolicy {
  /**
   * Only rows at least this old: a healthy relay publishes a row within
   * seconds of its commit, so a younger row is still in the relay's hands
   * (publishing it too would only make a duplicate, which consumers absorb).
   */
  boundSeconds: number;
  /** Rows per PutEvents round (and per BatchGetItem, which takes ≤ 100). */
  pageSize: number;
  /** Stop starting new pages after this long, so a run ends before the next one starts; the rest waits a minute. */
  budgetMs: number;
}

export interface OutboxSweepReport {
  cutoff: string;
  /** Age of the oldest unpublished row when the sweep started (0 when there is none): the metric the alarm watches. */
  oldestAgeSeconds: number;
  /** Rows older than the bound that were read. */
  examined: number;
  published: number;
  /** Rows PutEvents still refused after its retries; they stay in the outbox for the next sweep. */
  failed: { eventId: string; errorCode: string; retryable: boolean }[];
  /** Rows that fail the outbox contract: they stay, for an operator (the relay dead-lettered them with the reason). */
  invalid: { pk: string; reason: string }[];
  /** The budget ran out before every old row was read. */
  truncated: boolean;
}

/**
 * Publishes a page of rows read from the table, as the relay publishes rows
 * read from its stream: same publisher, same deletion. Returns what it did.
 */
export async function republishOutboxRows(items: readonly Record<string, unknown>[], ports: OutboxPublishPorts): Promise<Pick<OutboxSweepReport, 'published' | 'failed' | 'invalid'>> {
  const readable = [];
  const invalid: OutboxSweepReport['invalid'] = [];
  for (const item of items) {
    const read = readOutboxRow(item);
    if (typeof read === 'string') invalid.push({ pk: String(item.pk), reason: read });
    else readable.push(read);
  }
  const { published, failed } = await publishOutboxRows(readable, ports);
  return {
    published: published.length,
    failed: failed.map(({ row, failure }) => ({ eventId: row.eventId, errorCode: failure.errorCode, retryable: failure.retryable })),
    invalid,
  };
}

/**
 * The outbox's second line of defence, behind the stream: publishes the rows
 * the relay has not published within the bound (the stream mapping gave up on
 * them after its retries, the relay crashed between PutEvents and the delete,
 * or the local emulator dropped a failed batch), whatever the reason.
 *
 * Primary course:
 * 1. Read the age of the oldest unpublished row (the metric).
 * 2. Read the rows older than now − bound, page by page.
 * 3. Publish each page as the relay does (PutEvents ≤ 10, only failed entries
 *    retried) and delete what was published.
 * A row the relay publishes at the same moment is published twice: consumers
 * are idempotent on its eventId, so the second copy changes nothing.
 */
export async function sweepOutbox(ports: OutboxSweepPorts, policy: OutboxSweepPolicy): Promise<OutboxSweepReport> {
  const started = ports.clock.now();
  const cutoff = new Date(started.getTime() - policy.boundSeconds * 1000);
  const oldest = await ports.outbox.oldestCreatedAt();
  const report: OutboxSweepReport = {
    cutoff: cutoff.toISOString(),
    oldestAgeSeconds: oldest ? Math.max(0, Math.floor((started.getTime() - Date.parse(oldest)) / 1000)) : 0,
    examined: 0,
    published: 0,
    failed: [],
    invalid: [],
    truncated: false,
  };
  // The usual case: nothing old, and the sweep has cost one tiny Query per shard.
  if (!oldest || Date.parse(oldest) >= cutoff.getTime()) return report;

  for await (const page of ports.outbox.olderThan(cutoff, Math.min(policy.pageSize, 100))) {
    if (ports.clock.now().getTime() - started.getTime() >= policy.budgetMs) {
      report.truncated = true;
      break;
    }
    const outcome = await republishOutboxRows(page, ports);
    report.examined += page.length;
    report.published += outcome.published;
    report.failed.push(...outcome.failed);
    report.invalid.push(...outcome.invalid);
  }
  return report;
}
