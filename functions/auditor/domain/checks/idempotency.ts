import type { OrderRow } from '../rows';
import { hasNo, missing, type Check, type CheckFinding } from './check';

/**
 * Invariant 1. Keys are scoped to the caller (the API claims
 * `<principal>#<key>`), so two orders may share a key only under different
 * principals. The principal comes from the order row, or else from the claim
 * that points at the order (claims expire after 7 days; older rows written
 * before `principal` existed fall back to the key alone: such an order
 * conflicts with every other order of its key).
 */
export const oneOrderPerKey: Check = (context) => {
  const { orders, claims } = context.model;
  const skippedFor = missing(context, 'orders');
  if (skippedFor) return { checked: 0, findings: [], skipped: [`needs ${skippedFor}`] };
  const findings: CheckFinding[] = [];

  const claimedBy = new Map<string, string>();
  for (const claim of claims) {
    const order = orders.get(claim.orderId);
    if (!order) {
      if (!hasNo(context, 'ORDER', claim.orderId)) continue;
      findings.push({ code: 'claim-without-order', orderId: claim.orderId, subject: claim.pk, message: `Idempotency-Key claim ${claim.pk} points at order ${claim.orderId}, which does not exist: a retried POST would answer with it` });
      continue;
    }
    if (order.idempotencyKey !== claim.idempotencyKey || (order.principal !== undefined && order.principal !== claim.principal)) {
      findings.push({ code: 'claim-mismatch', orderId: claim.orderId, subject: claim.pk, message: `claim ${claim.pk} points at order ${claim.orderId}, which was placed with key ${order.principal ?? '?'}#${order.idempotencyKey}` });
      continue;
    }
    claimedBy.set(claim.orderId, claim.principal);
  }

  const byKey = new Map<string, OrderRow[]>();
  for (const order of orders.values()) byKey.set(order.idempotencyKey, [...(byKey.get(order.idempotencyKey) ?? []), order]);
  for (const [key, sharing] of byKey) {
    if (sharing.length < 2) continue;
    const principal = (order: OrderRow) => order.principal ?? claimedBy.get(order.orderId);
    // The order the key's claim names is the one a retried POST gets: the original; the others are the phantoms.
    const claimed = (order: OrderRow) => (claimedBy.has(order.orderId) ? 0 : 1);
    const byCreation = [...sharing].sort((a, b) => claimed(a) - claimed(b) || a.createdAt.localeCompare(b.createdAt) || a.orderId.localeCompare(b.orderId));
    const first = new Map<string | undefined, OrderRow>();
    for (const order of byCreation) {
      const who = principal(order);
      // An unknown principal could be anyone's, so it conflicts with every earlier order of the key.
      const earlier = who === undefined ? byCreation[0] : (first.get(who) ?? first.get(undefined));
      if (earlier && earlier !== order) {
        findings.push({
          code: 'duplicate-order',
          orderId: order.orderId,
          subject: `${who ?? '(principal unknown)'}#${key}`,
          message: `order ${order.orderId} repeats Idempotency-Key ${key} of order ${earlier.orderId} (principal ${who ?? 'unknown'})`,
        });
      } else {
        first.set(who, order);
      }
    }
  }
  return { checked: orders.size, findings, skipped: [] };
};
