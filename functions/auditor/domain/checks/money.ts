import type { Money } from '#contracts/primitives';
import { hasNo, missing, settled, type Check, type CheckFinding } from './check';

const cents = (money: Money | undefined): string => (money ? `${money.amountCents} ${money.currency}` : 'no amount');

/**
 * Invariant 4. A CONFIRMED order was confirmed by PaymentAuthorized, which
 * payments emitted with the AUTHORIZED row, so that row exists, with the
 * order's total, from the moment of confirmation. A CANCELLED order owes
 * nothing once its OrderCancelled had time to reach payments: no payment row,
 * or DECLINED, CANCELLED, REFUNDED. With the provider simulator's ledger a
 * confirmed charge is checked at the provider too: the money, not our record
 * of it. Money a cancelled order still holds at the provider is invariant 8's
 * (no-charge-after-cancel), so it is reported once.
 */
export const moneyBalances: Check = (context) => {
  const skippedFor = missing(context, 'orders', 'payments');
  if (skippedFor) return { checked: 0, findings: [], skipped: [`needs ${skippedFor}`] };
  const { orders, payments, ledger } = context.model;
  const findings: CheckFinding[] = [];
  let checked = 0;

  for (const order of orders.values()) {
    const { orderId } = order;
    const payment = payments.get(orderId);
    const atProvider = ledger?.get(orderId) ?? [];
    const live = atProvider.filter((row) => row.status === 'AUTHORIZED');
    if (order.status === 'CONFIRMED') {
      checked++;
      if (!payment) {
        if (hasNo(context, 'PAYMENT', orderId)) findings.push({ code: 'confirmed-without-payment', orderId, message: `order ${orderId} is CONFIRMED and has no payment row` });
      } else if (payment.status !== 'AUTHORIZED') {
        findings.push({ code: 'confirmed-not-charged', orderId, message: `order ${orderId} is CONFIRMED and its payment is ${payment.status}` });
      } else if (payment.amount?.amountCents !== order.total.amountCents || payment.amount.currency !== order.total.currency) {
        findings.push({ code: 'charge-differs-from-total', orderId, message: `order ${orderId} totals ${cents(order.total)}, its payment authorized ${cents(payment.amount)}` });
      } else if (ledger && !live.some((row) => row.authorizationId === payment.authorizationId && row.amountCents === order.total.amountCents)) {
        findings.push({
          code: 'provider-disagrees',
          orderId,
          message: `order ${orderId} is charged ${cents(order.total)} under ${payment.authorizationId ?? '(no id)'}, but the provider holds ${atProvider.map((row) => `${row.authorizationId} ${row.status} ${row.amountCents}`).join(', ') || 'nothing'}`,
        });
      }
    }
    if (order.status === 'CANCELLED' && settled(context, order.updatedAt)) {
      checked++;
      if (payment?.status === 'AUTHORIZED') {
        findings.push({ code: 'cancelled-still-charged', orderId, message: `order ${orderId} was cancelled at ${order.updatedAt} and its payment of ${cents(payment.amount)} is still AUTHORIZED` });
      }
    }
  }

  for (const payment of payments.values()) {
    if (payment.status === 'AUTHORIZED' && hasNo(context, 'ORDER', payment.orderId) && settled(context, payment.updatedAt)) {
      findings.push({ code: 'charge-without-order', orderId: payment.orderId, message: `payment of ${cents(payment.amount)} is AUTHORIZED for order ${payment.orderId}, which does not exist` });
    }
  }
  for (const [orderId, rows] of ledger ?? []) {
    if (!hasNo(context, 'ORDER', orderId)) continue;
    for (const row of rows) {
      if (row.status === 'AUTHORIZED' && settled(context, row.createdAt)) {
        findings.push({ code: 'provider-charge-without-order', orderId, subject: row.authorizationId, message: `the provider holds ${row.amountCents} ${row.currency} under ${row.authorizationId} for order ${orderId}, which does not exist` });
      }
    }
  }
  return { checked, findings, skipped: ledger ? [] : ['provider-side balances: no ledger (a real provider is configured)'] };
};
