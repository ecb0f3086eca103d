/**
 * The orders table's sparse index of PENDING orders by saga deadline: the
 * contract between the table (CDK) and the orders adapter that writes its key
 * and the deadline sweeper that queries it, as `outbox.ts` is for the relay.
 *
 * Only a PENDING order row carries `partitionKey`; the terminal transition
 * removes it, so the index holds exactly the orders still in flight and a
 * sweep reads the overdue ones without scanning the table. The key is spread
 * over `shardCount` values (by order id) so that no single index partition
 * takes every order's insert and delete.
 */
export const pendingOrdersIndex = {
  indexName: 'PendingByDeadline',
  partitionKey: 'pendingShard',
  /** The order row's own `deadline` (ISO 8601 UTC, so text order is time order). */
  sortKey: 'deadline',
  shardCount: 16,
} as const;
