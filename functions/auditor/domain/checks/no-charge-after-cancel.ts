import type { Model } from '../model';
import type { AuthorizeThenRefund } from '../report';
import type { OrderRow } from '../rows';
import { missing, settled, type Check, type CheckFinding } from './check';

/** When the order was cancelled, by its own history: the first CANCELLED entry. */
export function cancelledAt(order: OrderRow): number | undefined {
  const entry = order.history.find((candidate) => candidate.status === 'CANCELLED');
  return entry ? Date.parse(entry.at) : undefined;
}

/**
 * Invariant 8. A refund balances the books (invariant 4), but a hold on a
 * customer's card for an order that is already cancelled, or past the moment
 * it would be, is the harm itself. So, at the provider: no authorization may
 * be created at or after its order's cancellation, nor after its deadline;
 * and once the cancellation had time to reach payments, a CANCELLED order
 * holds no money. A declined request holds nothing and does not count. The
 * times compare the provider's clock with the orders context's: the margin
 * participants keep before the deadline (functions/shared/saga-deadline.ts)
 * is what makes a small skew harmless, so none is allowed for here.
 */
export const noChargeAfterCancel: Check = (context) => {
  const { orders, ledger } = context.model;
  if (!ledger) return { checked: 0, findings: [], skipped: ['needs the provider ledger (a real provider is configured: compare its records by hand, runbooks/invariant-violations.md)'] };
  const skippedFor = missing(context, 'orders');
  if (skippedFor) return { checked: 0, findings: [], skipped: [`needs ${skippedFor}`] };
  const findings: CheckFinding[] = [];
  let checked = 0;

  for (const [orderId, rows] of ledger) {
    const order = orders.get(orderId);
    if (!order) continue;
    const cancelled = order.status === 'CANCELLED' ? cancelledAt(order) : undefined;
    for (const row of rows) {
      if (row.status === 'DECLINED') continue;
      checked++;
      const createdAt = Date.parse(row.createdAt);
      if (cancelled !== undefined && createdAt >= cancelled) {
        findings.push({
          code: 'authorized-after-cancel',
          orderId,
          subject: row.authorizationId,
          message: `the provider authorized ${row.amountCents} ${row.currency} for order ${orderId} at ${row.createdAt}, ${Math.round((createdAt - cancelled) / 1000)} s after the order was cancelled (${new Date(cancelled).toISOString()})`,
        });
      } else if (order.deadline !== undefined && createdAt > order.deadline) {
        findings.push({
          code: 'authorized-after-deadline',
          orderId,
          subject: row.authorizationId,
          message: `the provider authorized ${row.amountCents} ${row.currency} for order ${orderId} at ${row.createdAt}, after its saga deadline ${new Date(order.deadline).toISOString()}`,
        });
      }
      if (order.status === 'CANCELLED' && row.status === 'AUTHORIZED' && settled(context, order.updatedAt)) {
        findings.push({
          code: 'cancelled-holds-money',
          orderId,
          subject: row.authorizationId,
          message: `order ${orderId} was cancelled at ${order.updatedAt} and the provider still holds ${row.amountCents} ${row.currency} under ${row.authorizationId}`,
        });
      }
    }
  }
  return { checked, findings, skipped: [] };
};

/**
 * Authorize-then-refund compensations: authorizations of cancelled orders
 * that were given back. Not a violation when the authorization came before
 * the cancellation (a slow saga), but every one is a hold on a card that
 * the customer saw come and go, so every run reports how many there were,
 * and which orders: a chaos run or a drill counts its own orders only, and
 * splits them by when they were cancelled. Undefined without a ledger.
 */
export function authorizeThenRefunds(model: Pick<Model, 'orders' | 'ledger'>): AuthorizeThenRefund[] | undefined {
  if (!model.ledger) return undefined;
  const found: AuthorizeThenRefund[] = [];
  for (const [orderId, rows] of model.ledger) {
    const order = model.orders.get(orderId);
    if (order?.status !== 'CANCELLED') continue;
    const cancelled = cancelledAt(order);
    for (const row of rows.filter((candidate) => candidate.status === 'REFUNDED')) {
      found.push({ orderId, authorizationId: row.authorizationId, authorizedAt: row.createdAt, cancelledAt: cancelled === undefined ? undefined : new Date(cancelled).toISOString() });
    }
  }
  return found;
}
