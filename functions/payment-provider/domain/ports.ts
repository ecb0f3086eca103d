import type { LedgerRow } from './authorization';

export interface LedgerPage {
  rows: LedgerRow[];
  /** Present while more rows may follow; a page may be short (even empty) and still carry one. */
  cursor?: string;
}

export interface Ledger {
  get(idempotencyKey: string): Promise<LedgerRow | undefined>;
  findByAuthorizationId(authorizationId: string): Promise<LedgerRow | undefined>;
  /** Writes the row of a new key; false when the key already has a row (a concurrent request won). */
  create(row: LedgerRow): Promise<boolean>;
  /**
   * Frees the key of `row`, which outlived the key retention: the row stays in
   * the ledger (marked `keyForgotten`, still found by its authorization id and
   * its order) and the key reads as unseen. False when another request freed it first.
   */
  forgetKey(row: LedgerRow): Promise<boolean>;
  /** Stores the REFUNDED row; false when the stored row was no longer AUTHORIZED. */
  markRefunded(row: LedgerRow): Promise<boolean>;
  listByOrder(orderId: string, page: { limit: number; cursor?: string }): Promise<LedgerPage>;
}

/** Raised by a ledger for a cursor it did not issue. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('the cursor is not one this ledger issued; start again without it');
  }
}

/** Counts the merchant's requests as they arrive, failed ones included (for retry amplification). */
export interface CallCounter {
  record(operation: 'authorize' | 'refund' | 'lookup'): Promise<void>;
}

export interface Clock {
  now(): Date;
}
