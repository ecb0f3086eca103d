import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { invariantMetrics } from '../../functions/contracts/invariant-metrics';
import { resourcesOf, synthesize, type Synthesized } from '../helpers/synth';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize();
});

function auditor(template: Template) {
  const functions = resourcesOf(template, 'AWS::Lambda::Function').filter(([, fn]) => JSON.stringify(fn.Properties?.Environment).includes('AUDIT_SOURCES'));
  expect(functions).toHaveLength(1);
  const [logicalId, fn] = functions[0]!;
  const roleId = (fn.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles).includes(roleId))
    .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
  return { logicalId, fn, statements, variables };
}

const actionsOf = (statements: Statement[]) => new Set(statements.flatMap((statement) => [statement.Action].flat()));
const text = (value: unknown) => JSON.stringify(value);

describe.each([
  ['DuckStore-primary', 'us-west-2', 'DuckStore-secondary', ['PaymentsTablesState', 'PaymentProviderSimulatorLedger']],
  ['DuckStore-secondary', 'us-east-1', 'DuckStore-primary', ['OrdersTablesState', 'InventoryTablesState', 'NotificationsTablesState']],
] as const)('the invariant auditor of %s', (stackName, otherRegion, otherStack, remoteTables) => {
  const template = () => synthesized.templates.get(stackName)!;

  it('runs every 15 minutes from a rule whose target has a DLQ and a retry policy', () => {
    const { logicalId } = auditor(template());
    const rules = resourcesOf(template(), 'AWS::Events::Rule').filter(([, rule]) => rule.Properties?.ScheduleExpression === 'rate(15 minutes)');
    const targets = rules.flatMap(([, rule]) => rule.Properties?.Targets as { Arn: unknown; DeadLetterConfig?: unknown; RetryPolicy?: unknown }[]);
    const target = targets.find((candidate) => text(candidate.Arn).includes(logicalId));
    expect(target, 'a rate(15 minutes) rule targets the auditor').toBeDefined();
    expect(target!.DeadLetterConfig).toBeDefined();
    expect(target!.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 2 });
  });

  it('alarms the operations topic at one InvariantViolations', () => {
    const topics = resourcesOf(template(), 'AWS::SNS::Topic').map(([id]) => id);
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: invariantMetrics.namespace,
      MetricName: invariantMetrics.violations,
      Dimensions: [{ Name: 'service', Value: invariantMetrics.serviceName }],
      Statistic: 'Maximum',
      Period: 900,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp(`^(${topics.join('|')})$`) }],
    });
    const { fn } = auditor(template());
    expect((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: invariantMetrics.namespace,
      POWERTOOLS_SERVICE_NAME: invariantMetrics.serviceName,
      OUTBOX_BOUND_SECONDS: '120',
      GRACE_SECONDS: '180',
    });
  });

  it('alarms when the auditor itself fails', () => {
    const { logicalId } = auditor(template());
    const failing = resourcesOf(template(), 'AWS::CloudWatch::Alarm').filter(([, alarm]) => alarm.Properties?.MetricName === 'Errors' && text(alarm.Properties?.Dimensions).includes(logicalId));
    expect(failing).toHaveLength(1);
  });

  it('may only read: Scan on the tables, queue attributes of the DLQs, and the other stack listing', () => {
    const { statements } = auditor(template());
    const own = [...actionsOf(statements)].filter((action) => !action.startsWith('xray:') && !action.startsWith('logs:'));
    expect(own.sort()).toEqual(['cloudformation:ListStackResources', 'dynamodb:Scan', 'sqs:GetQueueAttributes']);
  });

  it(`reads the tables of ${otherRegion} by ARN, through the prefix of their CloudFormation names`, () => {
    const { statements, variables } = auditor(template());
    const scans = statements.filter((statement) => [statement.Action].flat().includes('dynamodb:Scan'));
    for (const prefix of remoteTables) {
      expect(text(scans)).toContain(`:dynamodb:${otherRegion}:`);
      expect(text(scans)).toContain(`table/${otherStack}-${prefix}*`);
      expect(text(variables.AUDIT_SOURCES)).toContain(prefix);
    }
    const listing = statements.find((statement) => [statement.Action].flat().includes('cloudformation:ListStackResources'))!;
    expect(text(listing.Resource)).toContain(`:cloudformation:${otherRegion}:`);
    expect(text(listing.Resource)).toContain(`stack/${otherStack}/*`);
  });

  it('reads every DLQ of its stack', () => {
    const { statements, variables } = auditor(template());
    const queueGrants = statements.filter((statement) => [statement.Action].flat().includes('sqs:GetQueueAttributes'));
    const alarmedQueues = resourcesOf(template(), 'AWS::CloudWatch::Alarm').filter(([, alarm]) => alarm.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(alarmedQueues.length).toBeGreaterThan(2);
    for (const [, alarm] of alarmedQueues) {
      const queueId = text(alarm.Properties?.Dimensions).match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","QueueName"\]/)?.[1];
      expect(queueId, text(alarm.Properties?.Dimensions)).toBeDefined();
      expect(text(queueGrants)).toContain(queueId!);
      expect(text(variables.AUDIT_SOURCES)).toContain(queueId!);
    }
  });
});

describe('the invariant auditor of a one-region app', () => {
  it('reads every table of its own stack by exact ARN, and no stack listing', () => {
    const single = synthesize({
      'duckstore:topology': { regions: { primary: 'eu-west-1' }, contexts: { orders: 'primary', inventory: 'primary', payments: 'primary', notifications: 'primary' } },
      'duckstore:apiAuth': 'none',
    });
    const { statements } = auditor(single.templates.get('DuckStore-primary')!);
    expect(actionsOf(statements).has('cloudformation:ListStackResources')).toBe(false);
    const scanned = statements.filter((statement) => [statement.Action].flat().includes('dynamodb:Scan')).flatMap((statement) => [statement.Resource].flat());
    expect(scanned).toHaveLength(5);
    for (const resource of scanned) expect(resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/(TablesState|Ledger)[0-9A-F]{8}$/), 'Arn'] });
  });
});
