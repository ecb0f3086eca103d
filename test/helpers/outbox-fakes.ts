import type { OutboxRow } from '#contracts/outbox';
import type { UnpublishedOutbox } from '../../functions/outbox-relay/sweeper';

/**
 * A context table's outbox in memory, as the sweeper sees it through the
 * index: rows by age, read as the table holds them now, deleted once published.
 */
export function inMemoryOutbox(initial: Record<string, unknown>[] = []) {
  const rows = new Map<string, Record<string, unknown>>(initial.map((row) => [String(row.pk), row]));
  const pagesRead: number[] = [];
  const byAge = () => [...rows.values()].sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  const outbox: UnpublishedOutbox = {
    oldestCreatedAt: async () => byAge()[0]?.createdAt as string | undefined,
    async *olderThan(cutoff, pageSize) {
      const old = byAge().filter((row) => String(row.createdAt) < cutoff.toISOString());
      for (let start = 0; start < old.length; start += pageSize) {
        const page = old.slice(start, start + pageSize).filter((row) => rows.has(String(row.pk)));
        pagesRead.push(page.length);
        yield structuredClone(page);
      }
    },
  };
  return {
    rows,
    pagesRead,
    outbox,
    markPublished: async (published: OutboxRow[]) => {
      for (const row of published) rows.delete(row.pk);
    },
  };
}
