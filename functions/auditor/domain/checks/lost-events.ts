import { hasNo, missing, seconds, settled, type Check, type CheckFinding } from './check';

/**
 * Invariant 6. The relay deletes an outbox row once it is published, so a row
 * older than the bound was not. A message in any DLQ is an event some consumer
 * has not applied. And each step of the saga leaves a row in the context it
 * reached, so a settled step without its downstream row is an event that
 * never arrived: every placed order gets a reservation row (OrderPlaced), every
 * HELD reservation a payment row (InventoryReserved), every cancelled order a
 * payment row (OrderCancelled records CANCELLED when nothing was charged).
 */
export const noLostEvents: Check = (context) => {
  const { outbox, deadLetterQueues, orders, reservations } = context.model;
  const findings: CheckFinding[] = [];
  const skipped: string[] = [];
  let checked = 0;

  for (const { source, row } of outbox) {
    checked++;
    const age = context.now - Date.parse(row.createdAt);
    if (age > context.outboxBoundMs) {
      findings.push({
        code: 'unpublished-outbox-row',
        orderId: row.correlationId,
        subject: `${source}:${row.pk}`,
        message: `${source} outbox row ${row.detailType} ${row.eventId} of order ${row.correlationId} is ${seconds(age)} old (bound ${seconds(context.outboxBoundMs)})`,
      });
    }
  }

  if (deadLetterQueues) {
    for (const queue of deadLetterQueues) {
      checked++;
      if (queue.messages > 0) findings.push({ code: 'dead-letters', subject: `${queue.region}:${queue.name}`, message: `${queue.name} (${queue.region}) holds ${queue.messages} message(s): inspect and redrive` });
    }
  } else {
    skipped.push('every DLQ empty: queue depths were not read');
  }

  const reservationsFor = missing(context, 'orders', 'inventory');
  if (reservationsFor) skipped.push(`OrderPlaced reached inventory: needs ${reservationsFor}`);
  const paymentsFor = missing(context, 'orders', 'inventory', 'payments');
  if (paymentsFor) skipped.push(`InventoryReserved and OrderCancelled reached payments: needs ${paymentsFor}`);

  for (const order of orders.values()) {
    const { orderId } = order;
    if (!reservationsFor && settled(context, order.createdAt)) {
      checked++;
      if (hasNo(context, 'RESERVATION', orderId)) findings.push({ code: 'reservation-missing', orderId, message: `order ${orderId} was placed at ${order.createdAt} and inventory has no reservation row for it: OrderPlaced was lost` });
    }
    if (!paymentsFor && order.status === 'CANCELLED' && settled(context, order.updatedAt) && hasNo(context, 'PAYMENT', orderId)) {
      findings.push({ code: 'cancellation-missing-in-payments', orderId, message: `order ${orderId} was cancelled at ${order.updatedAt} and payments has no row for it: OrderCancelled was lost on the way to payments` });
    }
  }
  if (!paymentsFor) {
    for (const reservation of reservations.values()) {
      if (reservation.status !== 'HELD' || !orders.has(reservation.orderId)) continue;
      const reservedAt = reservation.history?.[0]?.at ?? reservation.updatedAt;
      if (settled(context, reservedAt) && hasNo(context, 'PAYMENT', reservation.orderId)) {
        findings.push({ code: 'payment-missing', orderId: reservation.orderId, message: `order ${reservation.orderId} was reserved at ${reservedAt} and payments has no row for it: InventoryReserved was lost` });
      }
    }
  }
  return { checked, findings, skipped };
};
