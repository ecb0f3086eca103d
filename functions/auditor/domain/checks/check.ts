import type { Model } from '../model';
import type { Finding } from '../report';
import type { SourceName } from '../snapshot';

/** What every check gets: the parsed snapshot and the clock, in milliseconds. */
export interface CheckContext {
  model: Model;
  now: number;
  outboxBoundMs: number;
  graceMs: number;
  defaultDeadlineMs: number;
}

export type CheckFinding = Omit<Finding, 'invariant'>;

export interface CheckResult {
  checked: number;
  findings: CheckFinding[];
  skipped: string[];
}

export type Check = (context: CheckContext) => CheckResult;

/**
 * True when `at` is older than the outbox bound: every event caused by what
 * happened then has had time to reach every consumer, so a downstream row
 * still missing is lost, not late. The checks that span contexts only judge
 * settled facts; that is what keeps a live system from failing its audit.
 */
export const settled = (context: CheckContext, at: string): boolean => context.now - Date.parse(at) >= context.outboxBoundMs;

/** The tables a check needs that were not read; the check is skipped (invariant 0 already fails for an unreadable one). */
export function missing(context: CheckContext, ...sources: SourceName[]): string | undefined {
  const absent = sources.filter((source) => !context.model.read.has(source));
  return absent.length > 0 ? absent.join(', ') : undefined;
}

/**
 * Whether a context holds no row for the order. A row that exists but failed
 * its schema is not missing: it is already a finding of invariant 0, and
 * calling it missing would blame every check downstream of it too.
 */
export const hasNo = (context: CheckContext, kind: 'ORDER' | 'RESERVATION' | 'PAYMENT', orderId: string): boolean => {
  const { orders, reservations, payments, unparsed } = context.model;
  const rows = { ORDER: orders, RESERVATION: reservations, PAYMENT: payments }[kind];
  return !rows.has(orderId) && !unparsed.has(`${kind}#${orderId}`);
};

export const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
