import type { Check, CheckContext } from './checks/check';
import { noneStuck } from './checks/deadlines';
import { oneOrderPerKey } from './checks/idempotency';
import { noLostEvents } from './checks/lost-events';
import { moneyBalances } from './checks/money';
import { authorizeThenRefunds, noChargeAfterCancel } from './checks/no-charge-after-cancel';
import { noSideEffectTwice } from './checks/side-effects';
import { onlyForward } from './checks/state-machines';
import { stockConserved } from './checks/stock';
import { buildModel, type Model } from './model';
import { defaultAuditOptions, invariantNames, invariantTitles, type AuditOptions, type AuditReport, type Finding, type InvariantId, type InvariantResult } from './report';
import type { AuditSnapshot } from './snapshot';

const checks: Record<Exclude<InvariantId, 0>, Check> = {
  1: oneOrderPerKey,
  2: noneStuck,
  3: stockConserved,
  4: moneyBalances,
  5: noSideEffectTwice,
  6: noLostEvents,
  7: onlyForward,
  8: noChargeAfterCancel,
};

export function invariantResult(id: InvariantId, checked: number, findings: Finding[], skipped: string[]): InvariantResult {
  const orderIds = [...new Set(findings.flatMap((finding) => (finding.orderId ? [finding.orderId] : [])))];
  return { id, name: invariantNames[id], title: invariantTitles[id], passed: findings.length === 0, checked, violations: findings.length, orderIds, findings, skipped };
}

function counts(model: Model, context: CheckContext, compensated: AuditReport['authorizeThenRefunds']): AuditReport['counts'] {
  const orders = { total: 0, PENDING: 0, CONFIRMED: 0, CANCELLED: 0 };
  let unsettledOrders = 0;
  for (const order of model.orders.values()) {
    orders.total++;
    orders[order.status]++;
    if (context.now - Date.parse(order.updatedAt) < context.outboxBoundMs) unsettledOrders++;
  }
  return {
    orders,
    unsettledOrders,
    idempotencyClaims: model.claims.length,
    skus: model.skus.size,
    reservations: model.reservations.size,
    payments: model.payments.size,
    notifications: [...model.notifications.values()].reduce((sum, rows) => sum + rows.length, 0),
    ledgerAuthorizations: model.ledger ? [...model.ledger.values()].reduce((sum, rows) => sum + rows.length, 0) : undefined,
    authorizeThenRefund: compensated?.length,
    outboxRows: model.outbox.length,
    deadLetterQueues: model.deadLetterQueues?.length,
  };
}

/**
 * Checks every invariant of DESIGN.md over one snapshot of the system. Pure:
 * the same snapshot and options give the same report, so each invariant can be
 * shown to fail on a snapshot that breaks it. Never throws on bad data: a row
 * that does not parse is a finding of invariant 0 and is left out of the rest.
 */
export function audit(snapshot: AuditSnapshot, options: AuditOptions): AuditReport {
  const model = buildModel(snapshot);
  const resolved = { outboxBound: options.outboxBound, grace: options.grace, defaultDeadline: options.defaultDeadline ?? defaultAuditOptions.defaultDeadline };
  const context: CheckContext = {
    model,
    now: options.now.getTime(),
    outboxBoundMs: resolved.outboxBound * 1000,
    graceMs: resolved.grace * 1000,
    defaultDeadlineMs: resolved.defaultDeadline * 1000,
  };
  const rowCount = Object.values(snapshot.tables).reduce((sum, rows) => sum + rows.length, 0);
  const invariants = [
    invariantResult(0, rowCount, model.problems, []),
    ...Object.entries(checks).map(([id, check]) => {
      const invariant = Number(id) as InvariantId;
      const result = check(context);
      return invariantResult(invariant, result.checked, result.findings.map((finding) => ({ invariant, ...finding })), result.skipped);
    }),
  ];
  const compensated = authorizeThenRefunds(model);
  return {
    ok: invariants.every((invariant) => invariant.passed),
    auditedAt: options.now.toISOString(),
    options: resolved,
    counts: counts(model, context, compensated),
    invariants,
    authorizeThenRefunds: compensated,
  };
}
