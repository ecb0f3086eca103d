import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OrderCancelled } from '#contracts/events';
import { outboxMetrics, unpublishedOutboxIndex } from '#contracts/outbox';
import { emit, outboxRow } from '#shared/outbox';
import { operationsThresholds } from '../../lib/constructs/operations-monitoring';
import { runbooks } from '../../lib/constructs/operations-runbooks';
import { resourcesOf, synthesize, type Synthesized } from '../helpers/synth';

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize();
});

type Props = Record<string, unknown>;
const propsOf = (template: Template, type: string) => resourcesOf(template, type).map(([id, resource]) => [id, (resource.Properties ?? {}) as Props] as const);
/** The tables with an outbox: the relay reads their stream. */
const outboxTables = (template: Template) => propsOf(template, 'AWS::DynamoDB::Table').filter(([, table]) => table.StreamSpecification !== undefined);
const sweeperOf = (template: Template, tableId: string) =>
  propsOf(template, 'AWS::Lambda::Function').find(([, fn]) => {
    const variables = (fn.Environment as { Variables?: Props } | undefined)?.Variables ?? {};
    return JSON.stringify(variables.TABLE_NAME) === JSON.stringify({ Ref: tableId }) && variables.OUTBOX_SWEEP_BOUND_SECONDS !== undefined;
  });

describe.each(['DuckStore-primary', 'DuckStore-secondary'])('outbox sweeper of %s', (stackName) => {
  const template = () => synthesized.templates.get(stackName)!;

  it('indexes every outbox table by unpublished row age, sparse and sharded, keys only', () => {
    const tables = outboxTables(template());
    expect(tables.length).toBeGreaterThan(0);
    for (const [id, table] of tables) {
      const index = (table.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.find((candidate) => candidate.IndexName === unpublishedOutboxIndex.indexName);
      expect(index, `${id} has the index`).toEqual({
        IndexName: 'UnpublishedByAge',
        KeySchema: [
          { AttributeName: 'outboxShard', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      });
    }
  });

  it('gives outbox rows none of the TTL attribute of their table, so an unpublished row never expires', () => {
    const orderId = 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2';
    const row = outboxRow(emit(OrderCancelled, { orderId, customerId: 'cust-7f3a21', reason: 'OUT_OF_STOCK' }), { correlationId: orderId, causationId: 'key-1' }, { region: 'us-east-1', now: () => new Date() });
    for (const [id, table] of outboxTables(template())) {
      const ttl = table.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
      if (ttl?.Enabled) expect(row, `${id} expires rows by ${ttl.AttributeName}`).not.toHaveProperty(ttl.AttributeName);
    }
  });

  it('runs a sweeper of every outbox table once a minute, with a 120 s bound, a DLQ and no retries of its own', () => {
    for (const [tableId] of outboxTables(template())) {
      const sweeper = sweeperOf(template(), tableId);
      expect(sweeper, `${tableId} has a sweeper`).toBeDefined();
      const [functionId, fn] = sweeper!;
      expect((fn.Environment as { Variables: Props }).Variables.OUTBOX_SWEEP_BOUND_SECONDS).toBe('120');
      const rules = propsOf(template(), 'AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Targets ?? []).includes(`"${functionId}"`));
      expect(rules.map(([, rule]) => rule.ScheduleExpression), `${functionId} is scheduled`).toEqual(['rate(1 minute)']);
      const [target] = rules[0]![1].Targets as { DeadLetterConfig?: unknown; RetryPolicy?: unknown }[];
      expect(target?.DeadLetterConfig).toBeDefined();
      expect(target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 2 });
      const invokeConfig = propsOf(template(), 'AWS::Lambda::EventInvokeConfig').find(([, config]) => JSON.stringify(config.FunctionName) === JSON.stringify({ Ref: functionId }));
      expect(invokeConfig?.[1]).toMatchObject({ MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: expect.anything() } } });
    }
  });

  it("alarms on the age of each context's oldest unpublished row, names the runbook and notifies the operations topic", () => {
    const topics = resourcesOf(template(), 'AWS::SNS::Topic').map(([id]) => id);
    const alarms = propsOf(template(), 'AWS::CloudWatch::Alarm').filter(([, alarm]) => alarm.MetricName === outboxMetrics.oldestUnpublishedAge);
    const contexts = outboxTables(template()).map(([tableId]) => (sweeperOf(template(), tableId)![1].Environment as { Variables: Props }).Variables.CONTEXT_NAME as string);
    expect(alarms.map(([, alarm]) => (alarm.Dimensions as { Name: string; Value: string }[]).find((dimension) => dimension.Name === 'context')?.Value).sort()).toEqual([...contexts].sort());
    for (const [id, alarm] of alarms) {
      const context = (alarm.Dimensions as { Name: string; Value: string }[]).find((dimension) => dimension.Name === 'context')!.Value;
      expect(alarm).toMatchObject({
        Namespace: 'DuckStore',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: operationsThresholds.outboxOldestUnpublishedSeconds,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      // The EMF line carries the Powertools service as a dimension too: the alarm must name it, or it watches nothing.
      expect(alarm.Dimensions).toContainEqual({ Name: 'service', Value: outboxMetrics.serviceName(context) });
      expect(alarm.AlarmDescription, id).toContain(`Runbook: ${runbooks.outboxRelay}`);
      expect(JSON.stringify(alarm.AlarmActions), `${id} notifies the operations topic`).toMatch(new RegExp(topics.join('|')));
    }
  });
});
