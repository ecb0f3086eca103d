/**
 * The invariants of DESIGN.md, numbered as there, plus 0: the snapshot itself
 * (every row readable, every table read). A check that could not run because
 * its table is missing fails 0, never passes silently.
 */
export const invariantTitles = {
  0: 'every table was read and every row matches its schema',
  1: 'one order per Idempotency-Key',
  2: 'no order stuck past its saga deadline',
  3: 'stock conserved per SKU',
  4: 'money balances',
  5: 'no side effect twice',
  6: 'no lost events',
  7: 'state only moves forward',
  8: 'no charge after cancel',
} as const;
export type InvariantId = keyof typeof invariantTitles;
/** Stable kebab-case names, for `--json` readers and alarms: the numbers follow DESIGN.md, the names say what is checked. */
export const invariantNames: Record<InvariantId, string> = {
  0: 'snapshot-readable',
  1: 'one-order-per-key',
  2: 'none-stuck',
  3: 'stock-conserved',
  4: 'money-balances',
  5: 'no-side-effect-twice',
  6: 'no-lost-events',
  7: 'state-only-forward',
  8: 'no-charge-after-cancel',
};
export const invariantIds = Object.keys(invariantTitles).map(Number) as InvariantId[];

export interface Finding {
  invariant: InvariantId;
  /** Stable, kebab-case: what went wrong, e.g. `duplicate-order`. */
  code: string;
  message: string;
  /** The order concerned, when there is one. */
  orderId?: string;
  /** What else it is about: a SKU, a queue, a row key. */
  subject?: string;
}

export interface InvariantResult {
  id: InvariantId;
  name: string;
  title: string;
  passed: boolean;
  /** How many things (orders, SKUs, rows, queues) the checks of this invariant examined. */
  checked: number;
  violations: number;
  /** Distinct order ids named by the findings, in order of appearance. */
  orderIds: string[];
  findings: Finding[];
  /** Checks that did not run and why (e.g. no ledger with a real provider). */
  skipped: string[];
}

export interface AuditOptions {
  now: Date;
  /** Seconds an event may take from its outbox row to every consumer; older outbox rows and missing downstream rows are findings. */
  outboxBound: number;
  /** Seconds past its deadline before a PENDING order counts as stuck. */
  grace: number;
  /** Seconds from creation that stand in for an order row without `deadline`. @default 300 */
  defaultDeadline?: number;
}

/**
 * The grace covers the deadline's second line of defence: a lost timer leaves
 * the order to the once-a-minute sweep, which waits its own grace (60 s by
 * default) past the deadline first.
 */
export const defaultAuditOptions = { outboxBound: 120, grace: 180, defaultDeadline: 300 } as const;

/** One authorize-then-refund compensation: when the hold was made, and when its order was cancelled. */
export interface AuthorizeThenRefund {
  orderId: string;
  authorizationId: string;
  authorizedAt: string;
  /** Undefined when the order's history has no CANCELLED entry (a row written before histories were kept). */
  cancelledAt: string | undefined;
}

export interface AuditReport {
  ok: boolean;
  auditedAt: string;
  options: { outboxBound: number; grace: number; defaultDeadline: number };
  counts: {
    orders: Record<'total' | 'PENDING' | 'CONFIRMED' | 'CANCELLED', number>;
    /** Orders whose last move is younger than the outbox bound: downstream checks wait for them. */
    unsettledOrders: number;
    idempotencyClaims: number;
    skus: number;
    reservations: number;
    payments: number;
    notifications: number;
    /** Undefined when there is no ledger to read (a real provider). */
    ledgerAuthorizations: number | undefined;
    /**
     * Authorizations of cancelled orders that were refunded: compensated, so
     * no violation when they came before the cancellation, but each one was a
     * hold on a customer's card. Undefined without a ledger.
     */
    authorizeThenRefund: number | undefined;
    outboxRows: number;
    deadLetterQueues: number | undefined;
  };
  invariants: InvariantResult[];
  /** The authorizations `counts.authorizeThenRefund` counts, so that a run can count its own orders; undefined without a ledger. */
  authorizeThenRefunds: AuthorizeThenRefund[] | undefined;
  /** Findings of the first read that a second read no longer showed: a torn read of a live system, not a violation. */
  transient?: number;
}

export const findingKey = (finding: Finding): string => `${finding.invariant}|${finding.code}|${finding.orderId ?? ''}|${finding.subject ?? ''}`;
