import { describe, expect, it } from 'vitest';
import { invariantMetrics } from '#contracts/invariant-metrics';
import { resolveTables } from '../../../functions/auditor/adapters/cloudformation-tables';
import { scheduledAudit } from '../../../functions/auditor/handlers/scheduled-audit';
import { auditNow, removeRow, SnapshotBuilder } from '../../helpers/auditor-snapshot';

function recorder() {
  const published: { name: string; value: number; dimensions: Record<string, string> }[] = [];
  const logged: { level: string; message: string; details: unknown }[] = [];
  const stored: { name: string; value: number }[] = [];
  const metrics = {
    addMetric: (name: string, _unit: unknown, value: number) => void stored.push({ name, value }),
    publishStoredMetrics: () => {
      published.push(...stored.map((metric) => ({ ...metric, dimensions: {} })));
      stored.length = 0;
    },
    singleMetric: () => {
      const dimensions: Record<string, string> = {};
      return {
        addDimension(name: string, value: string) {
          dimensions[name] = value;
        },
        addMetric: (name: string, _unit: unknown, value: number) => void published.push({ name, value, dimensions }),
      };
    },
  };
  const logger = {
    info: (message: string, details: unknown) => void logged.push({ level: 'info', message, details }),
    error: (message: string, details: unknown) => void logged.push({ level: 'error', message, details }),
  };
  return { metrics: metrics as never, logger: logger as never, published, logged };
}

const ports = (snapshot: ReturnType<SnapshotBuilder['build']>) => ({ readSnapshot: async () => structuredClone(snapshot), clock: { now: () => auditNow }, sleep: async () => {} });

describe('the scheduled audit', () => {
  it('publishes InvariantViolations 0 and logs at info when every invariant holds', async () => {
    const builder = new SnapshotBuilder();
    builder.everyOutcome();
    const { metrics, logger, published, logged } = recorder();

    const summary = await scheduledAudit({ ports: ports(builder.build()), options: { outboxBound: 120, grace: 60 }, metrics, logger })();

    expect(summary).toEqual({ ok: true, violations: 0, failed: [] });
    // everyOutcome() has one refunded order: an authorization given back after its cancellation.
    expect(published).toEqual([
      { name: invariantMetrics.violations, value: 0, dimensions: {} },
      { name: invariantMetrics.authorizeThenRefund, value: 1, dimensions: {} },
    ]);
    expect(logged.map((entry) => [entry.level, entry.message])).toEqual([['info', 'invariant audit passed']]);
  });

  it('publishes the count of findings, in total and per violated invariant, and logs the order ids at error', async () => {
    const builder = new SnapshotBuilder();
    const ids = builder.everyOutcome();
    const snapshot = builder.build();
    removeRow(snapshot, 'notifications', `NOTIFICATION#${ids.declined}#CANCELLED`);
    removeRow(snapshot, 'notifications', `NOTIFICATION#${ids.refunded}#CANCELLED`);
    const { metrics, logger, published, logged } = recorder();

    const summary = await scheduledAudit({ ports: ports(snapshot), options: { outboxBound: 120, grace: 60, confirmAfterMs: 1 }, metrics, logger })();

    expect(summary.violations).toBe(2);
    expect(summary.failed).toEqual([{ id: 5, title: 'no side effect twice', violations: 2, orderIds: expect.arrayContaining([ids.declined, ids.refunded]) }]);
    expect(published).toEqual(
      expect.arrayContaining([
        { name: invariantMetrics.violations, value: 2, dimensions: {} },
        { name: invariantMetrics.violations, value: 2, dimensions: { invariant: '5' } },
      ]),
    );
    expect(logged[0]).toMatchObject({ level: 'error', message: 'invariant audit failed' });
  });
});

describe('resolveTables', () => {
  const cloudFormation = (resources: { ResourceType: string; LogicalResourceId: string; PhysicalResourceId: string }[] | Error) => () => ({
    async send() {
      if (resources instanceof Error) throw resources;
      return { StackResourceSummaries: resources };
    },
  });

  it("finds another region's tables in its stack by logical-id prefix", async () => {
    const { tables, unresolved } = await resolveTables(
      { orders: { region: 'us-east-1', tableName: 'local-orders' }, payments: { region: 'us-west-2', stackName: 'DuckStore-secondary', logicalIdPrefix: 'PaymentsTablesState' } },
      cloudFormation([
        { ResourceType: 'AWS::DynamoDB::Table', LogicalResourceId: 'PaymentsTablesIdempotencyAB12CD34', PhysicalResourceId: 'idem' },
        { ResourceType: 'AWS::DynamoDB::Table', LogicalResourceId: 'PaymentsTablesState0A1B2C3D', PhysicalResourceId: 'DuckStore-secondary-PaymentsTablesState0A1B2C3D-XYZ' },
      ]) as never,
    );

    expect(tables).toEqual({ orders: { region: 'us-east-1', tableName: 'local-orders' }, payments: { region: 'us-west-2', tableName: 'DuckStore-secondary-PaymentsTablesState0A1B2C3D-XYZ' } });
    expect(unresolved).toEqual([]);
  });

  it('reports a region it cannot reach as unresolved, keeping the rest', async () => {
    const { tables, unresolved } = await resolveTables(
      { orders: { region: 'us-east-1', tableName: 'local-orders' }, payments: { region: 'us-west-2', stackName: 'DuckStore-secondary', logicalIdPrefix: 'PaymentsTablesState' } },
      cloudFormation(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' })) as never,
    );

    expect(Object.keys(tables)).toEqual(['orders']);
    expect(unresolved).toEqual([{ source: 'payments (stack DuckStore-secondary in us-west-2)', error: 'TimeoutError: connect ETIMEDOUT' }]);
  });
});
