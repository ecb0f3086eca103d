import * as z from 'zod';

/**
 * The outbox row: the contract between every context that writes events (in
 * the same transaction as its state) and the relay and sweeper that publish
 * them. The relay's stream filter in the CDK app matches `kind` too.
 */
export const outboxKeyPrefix = 'OUTBOX#';
export const outboxKind = 'outbox';

/**
 * The sparse index of unpublished outbox rows by age: the contract between the
 * table (CDK), the writer that sets its key (functions/shared/outbox.ts) and
 * the outbox sweeper that queries it, as `pending-orders-index.ts` is for the
 * deadline sweep.
 *
 * Only outbox rows carry `partitionKey`, and the relay deletes a row once it
 * is published, so the index holds exactly the unpublished rows, oldest first:
 * the sweeper reads the few rows older than its bound with one Query per shard
 * instead of a Scan of the whole table every minute (O(table), and a table
 * holds every order). KEYS_ONLY: each outbox write costs the index one small
 * write, and the sweeper reads the rows it acts on from the table itself,
 * consistently, so a row the relay deleted meanwhile is not published again.
 * The key is spread over `shardCount` values (by eventId) so that no single
 * index partition takes every event's insert and delete.
 */
export const unpublishedOutboxIndex = {
  indexName: 'UnpublishedByAge',
  partitionKey: 'outboxShard',
  /** The row's own `createdAt` (ISO 8601 UTC, so text order is time order). */
  sortKey: 'createdAt',
  shardCount: 8,
} as const;

/**
 * The outbox sweeper's metric (embedded metric format): the contract between
 * the function that publishes it and the alarm that watches it. Dimensions:
 * `service` (the sweeper's Powertools service) and `context`.
 */
export const outboxMetrics = {
  namespace: 'DuckStore',
  /** Age of the oldest unpublished outbox row of a context's table when a sweep starts; 0 when there is none. Seconds. */
  oldestUnpublishedAge: 'OutboxOldestUnpublishedAgeSeconds',
  serviceName: (context: string) => `${context}-outbox-sweeper`,
} as const;

export const outboxRowSchema = z.object({
  pk: z.string().startsWith(outboxKeyPrefix),
  kind: z.literal(outboxKind),
  eventId: z.uuid(),
  source: z.string().min(1),
  detailType: z.string().min(1),
  /** The EventBridge detail, serialized once by the writer and published byte for byte. */
  detail: z.string().min(2),
  correlationId: z.string().min(1),
  createdAt: z.iso.datetime(),
  /** The index shard; absent on rows written before the index existed. */
  outboxShard: z.string().optional(),
  /**
   * Rows written before the sweeper existed carried a 14-day TTL (which could
   * delete an unpublished row); new rows have none, so a row leaves the
   * outbox only by being published. Tolerated so old rows still parse.
   */
  expiresAt: z.number().int().optional(),
});
export type OutboxRow = z.infer<typeof outboxRowSchema>;
