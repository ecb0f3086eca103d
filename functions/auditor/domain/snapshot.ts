/** One DynamoDB item as the document client returns it. */
export type Row = Record<string, unknown>;

/** The tables of the system, named by their owner; `ledger` is the provider simulator's. */
export const sourceNames = ['orders', 'inventory', 'payments', 'notifications', 'ledger'] as const;
export type SourceName = (typeof sourceNames)[number];

export interface DeadLetterDepth {
  region: string;
  /** Construct name of the queue, e.g. `InventoryConsumerDeadLetters`. */
  name: string;
  /** ApproximateNumberOfMessages + ApproximateNumberOfMessagesNotVisible. */
  messages: number;
}

/**
 * Everything the auditor looks at, read at about one moment. A table that
 * was not read (not deployed: the ledger with a real provider) is absent; a
 * table that could not be read is absent *and* listed in `unreadable`, which
 * fails the audit: an invariant nobody could check is not a pass.
 */
export interface AuditSnapshot {
  /** Raw rows of each context's state table, all kinds mixed as stored. */
  tables: Partial<Record<SourceName, Row[]>>;
  /** Every dead-letter queue of the deployment; absent when the depths were not read. */
  deadLetterQueues?: DeadLetterDepth[];
  unreadable?: { source: string; error: string }[];
}
