import type { Sku } from '#contracts/catalog';
import type { AuditSnapshot } from '../../../functions/auditor/domain/snapshot';
import { ledgerStorageKey } from '../../../functions/payment-provider/domain/authorization';
import { initialStock, queueNames, type SagaWorld } from './world';

/**
 * The world's state as the auditor reads it in production: each context's
 * rows in the shape its DynamoDB adapter writes (pk and kind), the provider
 * simulator's ledger as `AUTH#<storage key>` rows, every DLQ with its depth.
 * Every outbox row has been relayed, so the outbox holds none.
 */
export function auditSnapshot(world: SagaWorld): AuditSnapshot {
  return structuredClone({
    tables: {
      orders: [
        ...[...world.orders.orders.values()].map((order) => ({ pk: `ORDER#${order.orderId}`, kind: 'order', ...order })),
        ...[...world.orders.claims].map(([key, claim]) => ({ pk: `IDEMPOTENCY-KEY#${key}`, kind: 'idempotency-key', ...claim })),
      ],
      inventory: [
        ...(Object.keys(initialStock) as Sku[]).map((sku) => ({ pk: `SKU#${sku}`, kind: 'stock', sku, available: world.inventory.stock.get(sku)!, received: initialStock[sku] })),
        ...[...world.inventory.reservations.values()].map((reservation) => ({ pk: `RESERVATION#${reservation.orderId}`, kind: 'reservation', ...reservation })),
      ],
      payments: [...world.payments.rows.values()].map((payment) => ({ pk: `PAYMENT#${payment.orderId}`, kind: 'payment', ...payment })),
      notifications: [...world.notifications.rows.values()].map((row) => ({ pk: `NOTIFICATION#${row.orderId}#${row.state}`, kind: 'notification', ...row })),
      ledger: [...world.simulator.ledger.rows.values()].map((row) => ({ pk: `AUTH#${ledgerStorageKey(row)}`, ...row })),
    },
    deadLetterQueues: queueNames.map((name) => ({ region: name === 'payments' || name === 'forward-secondary' ? 'us-west-2' : 'us-east-1', name, messages: world.deadLetters[name].length })),
  });
}

/**
 * The harm itself, checked straight on the simulator's ledger rather than
 * through the auditor: no authorization that took money was created at or
 * after its order's cancellation or after its deadline, and no cancelled
 * order still has money held.
 */
export function moneyHarm(world: SagaWorld): string[] {
  const harm: string[] = [];
  for (const row of world.simulator.ledger.rows.values()) {
    if (row.status === 'DECLINED') continue;
    const order = world.orders.orders.get(row.orderId);
    if (!order) {
      harm.push(`${row.authorizationId} (${row.status}) is for ${row.orderId}, which orders never accepted`);
      continue;
    }
    const created = Date.parse(row.createdAt);
    const cancelled = order.history.find((entry) => entry.status === 'CANCELLED')?.at;
    if (cancelled !== undefined && created >= Date.parse(cancelled)) harm.push(`${row.authorizationId} (${row.status}) for ${row.orderId} was created at ${row.createdAt}, at or after its cancellation at ${cancelled}`);
    if (created > Date.parse(order.deadline)) harm.push(`${row.authorizationId} (${row.status}) for ${row.orderId} was created at ${row.createdAt}, after its deadline ${order.deadline}`);
    if (order.status === 'CANCELLED' && row.status === 'AUTHORIZED') harm.push(`cancelled order ${row.orderId} still has ${row.amountCents} cents held under ${row.authorizationId}`);
  }
  return harm;
}
