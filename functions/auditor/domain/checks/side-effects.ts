import { hasNo, missing, settled, type Check, type CheckFinding } from './check';

/**
 * Invariant 5. The provider is asked with the order id as Idempotency-Key,
 * so its ledger holds at most one authorization per order; a second one means
 * some call used another key and may have charged twice. Notifications: one
 * per terminal state the order reached, once OrderConfirmed/OrderCancelled had
 * time to arrive; none for a state it never reached; a claim still SENDING
 * after that time may never have been sent.
 */
export const noSideEffectTwice: Check = (context) => {
  const { orders, notifications, ledger } = context.model;
  const findings: CheckFinding[] = [];
  const skipped: string[] = [];
  let checked = 0;

  if (ledger) {
    for (const [orderId, rows] of ledger) {
      checked++;
      if (rows.length > 1) {
        findings.push({
          code: 'provider-charged-twice',
          orderId,
          message: `the provider holds ${rows.length} authorizations for order ${orderId}: ${rows.map((row) => `${row.authorizationId} (${row.status}, key ${row.idempotencyKey})`).join(', ')}`,
        });
      }
    }
  } else {
    skipped.push('one provider charge per order: no ledger (a real provider is configured)');
  }

  const skippedFor = missing(context, 'orders', 'notifications');
  if (skippedFor) return { checked, findings, skipped: [...skipped, `notifications: needs ${skippedFor}`] };

  for (const order of orders.values()) {
    if (order.status === 'PENDING' || !settled(context, order.updatedAt)) continue;
    checked++;
    const sent = (notifications.get(order.orderId) ?? []).filter((row) => row.state === order.status);
    if (sent.length === 0) findings.push({ code: 'notification-missing', orderId: order.orderId, message: `order ${order.orderId} is ${order.status} since ${order.updatedAt} and its customer was never notified` });
    if (sent.length > 1) findings.push({ code: 'notification-repeated', orderId: order.orderId, message: `order ${order.orderId} has ${sent.length} ${order.status} notifications` });
  }
  for (const [orderId, rows] of notifications) {
    const order = orders.get(orderId);
    for (const row of rows) {
      if (!order) {
        if (hasNo(context, 'ORDER', orderId) && settled(context, row.createdAt)) findings.push({ code: 'notification-without-order', orderId, subject: row.state, message: `a ${row.state} notification exists for order ${orderId}, which does not exist` });
      } else if (row.state !== order.status) {
        findings.push({ code: 'notification-for-unreached-state', orderId, subject: row.state, message: `order ${orderId} is ${order.status} but its customer was told ${row.state}` });
      }
      if (row.status === 'SENDING' && settled(context, row.createdAt)) {
        findings.push({ code: 'notification-unconfirmed', orderId, subject: row.state, message: `the ${row.state} notification of order ${orderId} was claimed at ${row.createdAt} and never marked SENT` });
      }
    }
  }
  return { checked, findings, skipped };
};
