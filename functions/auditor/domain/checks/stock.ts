import { hasNo, missing, settled, type Check, type CheckFinding } from './check';

const quantities = (lines: readonly { sku: string; quantity: number }[]): string =>
  [...lines]
    .sort((a, b) => a.sku.localeCompare(b.sku))
    .map((line) => `${line.sku}=${line.quantity}`)
    .join(',');

/**
 * Invariant 3. Per SKU, `received` (all stock ever received, kept by
 * `setStock`) = `available` + the lines of HELD reservations. Inventory does
 * not consume OrderConfirmed, so a confirmed order's reservation stays HELD:
 * that is stock sold, and the report says how much of the HELD total is sold.
 * Reserving and releasing move stock and the reservation in one transaction,
 * so the equation holds at every committed state, settled or not.
 */
export const stockConserved: Check = (context) => {
  const { skus, reservations, orders } = context.model;
  const skippedFor = missing(context, 'inventory');
  if (skippedFor) return { checked: 0, findings: [], skipped: [`needs ${skippedFor}`] };
  const withOrders = !missing(context, 'orders');
  const findings: CheckFinding[] = [];
  const out = new Map<string, { held: number; sold: number }>();

  for (const reservation of reservations.values()) {
    const order = orders.get(reservation.orderId);
    const { orderId } = reservation;
    if (reservation.status === 'HELD') {
      for (const line of reservation.lines) {
        if (line.quantity <= 0) findings.push({ code: 'non-positive-quantity', orderId, subject: line.sku, message: `reservation of order ${orderId} holds ${line.quantity} of ${line.sku}` });
        const tally = out.get(line.sku) ?? { held: 0, sold: 0 };
        tally[order?.status === 'CONFIRMED' ? 'sold' : 'held'] += line.quantity;
        out.set(line.sku, tally);
      }
      if (withOrders && hasNo(context, 'ORDER', orderId) && settled(context, reservation.updatedAt)) {
        findings.push({ code: 'stock-held-without-order', orderId, message: `reservation of order ${orderId} holds ${quantities(reservation.lines)} for an order that does not exist` });
      }
      if (order?.status === 'CANCELLED' && settled(context, order.updatedAt)) {
        findings.push({ code: 'cancelled-holds-stock', orderId, message: `order ${orderId} was cancelled at ${order.updatedAt} and its reservation still holds ${quantities(reservation.lines)}` });
      }
    }
    // A VOID reservation has no lines by design (OrderCancelled does not carry them).
    if (order && reservation.status !== 'VOID' && quantities(reservation.lines) !== quantities(order.lines)) {
      findings.push({ code: 'reservation-differs-from-order', orderId, message: `reservation of order ${orderId} (${reservation.status}) is ${quantities(reservation.lines)}, the order is ${quantities(order.lines)}` });
    }
  }

  for (const order of orders.values()) {
    const reservation = reservations.get(order.orderId);
    // Confirmation follows the reservation; a confirmed order whose stock went back (or never left) sold stock it does not hold.
    if (order.status === 'CONFIRMED' && reservation && reservation.status !== 'HELD') {
      findings.push({ code: 'confirmed-without-stock', orderId: order.orderId, message: `order ${order.orderId} is CONFIRMED but its reservation is ${reservation.status}` });
    }
  }

  const allSkus = new Set([...skus.keys(), ...out.keys()]);
  for (const sku of [...allSkus].sort()) {
    const row = skus.get(sku);
    const { held, sold } = out.get(sku) ?? { held: 0, sold: 0 };
    if (!row) {
      findings.push({ code: 'stock-row-missing', subject: sku, message: `reservations hold ${held + sold} of ${sku}, which has no stock row` });
      continue;
    }
    if (row.available < 0) findings.push({ code: 'negative-stock', subject: sku, message: `${sku} has ${row.available} available` });
    if (row.received === undefined) {
      findings.push({ code: 'received-unknown', subject: sku, message: `${sku} has no \`received\` total, so its conservation cannot be checked: reset it with setStock (npm run local:seed)` });
    } else if (row.received !== row.available + held + sold) {
      findings.push({
        code: 'stock-not-conserved',
        subject: sku,
        message: `${sku}: received ${row.received} ≠ available ${row.available} + held ${held} + sold ${sold} (off by ${row.available + held + sold - row.received})`,
      });
    }
  }
  return { checked: allSkus.size, findings, skipped: withOrders ? [] : ['held vs sold and cancelled orders: needs orders'] };
};
