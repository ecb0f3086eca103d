import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ContextName } from '#contracts/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPortsOf } from '../../cli/audit-sources';
import { formatAuditReport } from '../../cli/commands/audit';
import { stateTableOf } from '../../cli/deployment';
import { defaultAuditOptions, type AuditReport } from '../../functions/auditor/domain/report';
import { auditSystem, auditUntilGreen } from '../../functions/auditor/domain/use-cases';
import { System } from './helpers/system';

/**
 * The invariant auditor against the deployed system (both regions, every
 * table, every DLQ). The e2e config runs this file last, so it audits what
 * the other files left; it also places its own orders, so it means something
 * when run alone. Then it seeds violations straight into the real tables and
 * shows the auditor names them, and is green again once they are removed.
 */
let system: System;
let ports: ReturnType<typeof auditPortsOf>;

beforeAll(async () => {
  system = await System.connect();
  ports = auditPortsOf(system.deployment);
});

afterAll(() => ports?.destroy());

const explain = (report: AuditReport) => formatAuditReport(report, 5).join('\n');
const failing = (report: AuditReport) => report.invariants.filter((invariant) => !invariant.passed).map((invariant) => invariant.id);
const documents = (context: ContextName) => DynamoDBDocumentClient.from(new DynamoDBClient(system.deployment.target.aws(system.region(context))));

/** Writes a row into a context's state table and returns how to take it out again. */
async function seed(context: ContextName, row: Record<string, unknown>): Promise<() => Promise<void>> {
  const client = documents(context);
  const tableName = stateTableOf(system.deployment, context);
  await client.send(new PutCommand({ TableName: tableName, Item: row, ConditionExpression: 'attribute_not_exists(pk)' }));
  return async () => {
    await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: row.pk } }));
  };
}

describe('the invariant auditor on the deployed system', () => {
  let confirmedOrderId: string;

  it('is green once every saga has ended and every event arrived', async () => {
    const orders = await Promise.all([
      system.api.placeOrder({ customerId: `e2e-audit-${randomUUID().slice(0, 8)}`, items: [{ sku: 'DUCK-ASTRO', quantity: 1 }] }),
      system.api.placeOrder({ customerId: `e2e-audit-${randomUUID().slice(0, 8)}`, items: [{ sku: 'DUCK-LIMITED', quantity: 100 }] }),
      system.api.placeOrder({ customerId: `e2e-audit-${randomUUID().slice(0, 8)}`, items: [{ sku: 'DUCK-GOLD', quantity: 1 }] }),
    ]);
    const finals = await Promise.all(orders.map(({ orderId }) => system.api.waitForTerminal(orderId)));
    expect(finals.map((order) => order.status)).toEqual(['CONFIRMED', 'CANCELLED', 'CANCELLED']);
    confirmedOrderId = finals[0]!.orderId;

    // Bound 0: every downstream effect of every order is required, none excused as in flight; the system must converge to it.
    const { report } = await auditUntilGreen(ports, { outboxBound: 0, grace: defaultAuditOptions.grace, timeoutMs: 90_000, intervalMs: 2_000 });

    expect(report.ok, explain(report)).toBe(true);
    expect(report.counts.orders.total).toBeGreaterThanOrEqual(3);
    expect(report.counts.deadLetterQueues).toBeGreaterThan(0);
    expect(report.counts.ledgerAuthorizations).toBeGreaterThan(0);
  });

  it('names an outbox row that was never published, and is green again once it is gone', async () => {
    // Notifications has no relay: an outbox row there is exactly one nobody will ever publish.
    const eventId = randomUUID();
    const createdAt = new Date(Date.now() - 10 * 60_000).toISOString();
    const remove = await seed('notifications', {
      pk: `OUTBOX#${eventId}`,
      kind: 'outbox',
      eventId,
      source: 'duckstore.notifications',
      detailType: 'CustomerNotified',
      detail: JSON.stringify({ metadata: { eventId }, data: { orderId: confirmedOrderId } }),
      correlationId: confirmedOrderId,
      createdAt,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    try {
      const report = await auditSystem(ports, { ...defaultAuditOptions, confirmAfterMs: 1_000 });

      expect(failing(report), explain(report)).toEqual([6]);
      const finding = report.invariants.find((invariant) => invariant.id === 6)!.findings[0]!;
      expect(finding).toMatchObject({ code: 'unpublished-outbox-row', orderId: confirmedOrderId });
      expect(finding.subject).toContain(eventId);
    } finally {
      await remove();
    }
    const after = await auditSystem(ports, { ...defaultAuditOptions });
    expect(after.ok, explain(after)).toBe(true);
  });

  it('names a second order under one Idempotency-Key, and is green again once it is gone', async () => {
    const original = await system.row('orders', `ORDER#${confirmedOrderId}`);
    const phantomId = randomUUID();
    const { pendingShard: _notPending, ...copy } = original!;
    const remove = await seed('orders', { ...copy, pk: `ORDER#${phantomId}`, orderId: phantomId });
    try {
      const report = await auditSystem(ports, { ...defaultAuditOptions, confirmAfterMs: 1_000 });

      expect(report.ok).toBe(false);
      const duplicates = report.invariants.find((invariant) => invariant.id === 1)!;
      expect(duplicates.findings.map((finding) => finding.code), explain(report)).toEqual(['duplicate-order']);
      expect(duplicates.orderIds).toEqual([phantomId]);
      // The phantom has no payment of its own: a confirmed order charged nowhere.
      expect(report.invariants.find((invariant) => invariant.id === 4)!.orderIds).toEqual([phantomId]);
    } finally {
      await remove();
    }
    const after = await auditSystem(ports, { ...defaultAuditOptions });
    expect(after.ok, explain(after)).toBe(true);
  });
});
