import { missing, seconds, type Check, type CheckFinding } from './check';

/**
 * Invariant 2. A PENDING order past its saga deadline plus a grace (the
 * deadline's own timer and the cancellation it causes take a moment) is
 * stuck. Rows written before `deadline` existed get creation time plus a
 * default, the saga's intended bound.
 */
export const noneStuck: Check = (context) => {
  const skippedFor = missing(context, 'orders');
  if (skippedFor) return { checked: 0, findings: [], skipped: [`needs ${skippedFor}`] };
  const findings: CheckFinding[] = [];
  let pending = 0;
  for (const order of context.model.orders.values()) {
    if (order.status !== 'PENDING') continue;
    pending++;
    const deadline = order.deadline ?? Date.parse(order.createdAt) + context.defaultDeadlineMs;
    const late = context.now - deadline;
    if (late > context.graceMs) {
      findings.push({
        code: 'stuck-pending',
        orderId: order.orderId,
        message: `order ${order.orderId} is PENDING ${seconds(late)} past its ${order.deadline === undefined ? 'default ' : ''}deadline ${new Date(deadline).toISOString()} (grace ${seconds(context.graceMs)})`,
      });
    }
  }
  return { checked: pending, findings, skipped: [] };
};
