import { existsSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventArchiveName } from '../../lib/constructs/operations-automation';
import { operationsThresholds } from '../../lib/constructs/operations-monitoring';
import { runbooks } from '../../lib/constructs/operations-runbooks';
import { resourcesOf, synthesize, type Synthesized } from '../helpers/synth';

type AlarmProps = { AlarmDescription?: string; MetricName?: string; Namespace?: string; Threshold?: number; AlarmActions?: unknown[]; Dimensions?: { Name: string; Value: unknown }[]; Statistic?: string };

let synthesized: Synthesized;
let local: Synthesized;

beforeAll(() => {
  synthesized = synthesize();
  local = synthesize({ 'duckstore:awsOnlyResources': 'false' });
});

const stacks = ['DuckStore-primary', 'DuckStore-secondary'] as const;
const alarmsOf = (template: Template) => resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => [id, alarm.Properties as AlarmProps] as const);
const topicsOf = (template: Template) => resourcesOf(template, 'AWS::SNS::Topic').map(([id]) => id);
/** The queue logical id an alarm watches (its QueueName dimension is a GetAtt of the queue). */
const queueOf = (alarm: AlarmProps) => JSON.stringify(alarm.Dimensions ?? []).match(/"([A-Za-z0-9]+Queue[0-9A-F]{8})"/)?.[1];

describe.each(stacks)('operations of %s', (stackName) => {
  const template = () => synthesized.templates.get(stackName)!;

  it('links every alarm to a runbook file that exists, and notifies the operations topic', () => {
    const alarms = alarmsOf(template());
    expect(alarms.length).toBeGreaterThan(10);
    const topics = topicsOf(template());
    for (const [id, alarm] of alarms) {
      const runbook = /Runbook: (runbooks\/[a-z-]+\.md)/.exec(alarm.AlarmDescription ?? '')?.[1];
      expect(runbook, `${id} names a runbook`).toBeDefined();
      expect(existsSync(runbook!), `${runbook} exists`).toBe(true);
      expect(JSON.stringify(alarm.AlarmActions), `${id} notifies the operations topic`).toMatch(new RegExp(topics.join('|')));
    }
  });

  it('alarms on the depth (≥ 1) and on the age of the oldest message (≥ 1 h) of every DLQ', () => {
    const dlqs = resourcesOf(template(), 'AWS::SQS::Queue').filter(([id]) => /DeadLettersQueue[0-9A-F]{8}$/.test(id)).map(([id]) => id);
    expect(dlqs.length).toBeGreaterThanOrEqual(4);
    const alarms = alarmsOf(template()).map(([, alarm]) => alarm);
    for (const dlq of dlqs) {
      expect(alarms.find((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible' && queueOf(alarm) === dlq)?.Threshold, `${dlq} depth`).toBe(1);
      expect(alarms.find((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage' && queueOf(alarm) === dlq)?.Threshold, `${dlq} age`).toBe(operationsThresholds.deadLetterAgeSeconds);
    }
  });

  it('alarms on each relay stream iterator age, each consumer errors and throttles, and the forwarding backlog', () => {
    const alarms = alarmsOf(template()).map(([, alarm]) => alarm);
    const relays = resourcesOf(template(), 'AWS::Lambda::Function').filter(([id]) => /RelayFunction[0-9A-F]{8}$/.test(id));
    const consumers = resourcesOf(template(), 'AWS::Lambda::Function').filter(([id]) => /(ConsumerFunction|ArmingFunction|ForwardingFunction)[0-9A-F]{8}$/.test(id));
    expect(relays.length).toBeGreaterThan(0);
    const watching = (metricName: string, functionId: string) => alarms.find((alarm) => alarm.MetricName === metricName && JSON.stringify(alarm.Dimensions).includes(functionId));
    for (const [id] of relays) expect(watching('IteratorAge', id)?.Threshold, `${id} iterator age`).toBe(operationsThresholds.iteratorAgeMs);
    for (const [id] of consumers) {
      expect(watching('Errors', id)?.Threshold, `${id} errors`).toBe(operationsThresholds.consumerErrors);
      expect(watching('Throttles', id)?.Threshold, `${id} throttles`).toBe(operationsThresholds.throttles);
    }
    const forwarding = resourcesOf(template(), 'AWS::SQS::Queue').filter(([id]) => /ForwardingQueue[0-9A-F]{8}$/.test(id));
    expect(forwarding).toHaveLength(1);
    const [forwardingQueue] = forwarding[0]!;
    expect(alarms.find((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage' && queueOf(alarm) === forwardingQueue)?.Threshold).toBe(operationsThresholds.forwardingAgeSeconds);
  });

  it('keeps the invariant violations alarm, linked to its runbook', () => {
    const violations = alarmsOf(template()).find(([, alarm]) => alarm.MetricName === 'InvariantViolations');
    expect(violations?.[1].AlarmDescription).toContain(runbooks.invariantViolations);
  });

  it('has one dashboard, named after the region, with the alarm status first', () => {
    const dashboards = resourcesOf(template(), 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]![1].Properties?.DashboardBody);
    expect(body).toContain('alarm');
    expect(body).toContain('Dead letters');
    expect(JSON.stringify(dashboards[0]![1].Properties?.DashboardName)).toMatch(/DuckStore-us-(east-1|west-2)/);
  });

  it('has the audit log table, with point-in-time recovery', () => {
    const tables = resourcesOf(template(), 'AWS::DynamoDB::Table').filter(([id]) => id.startsWith('OperationsAuditLog'));
    expect(tables).toHaveLength(1);
    expect(tables[0]![1].Properties).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
  });

  it('deploys the event archive and the runbook automations on AWS, and neither with awsOnlyResources=false', () => {
    template().hasResourceProperties('AWS::Events::Archive', { ArchiveName: eventArchiveName, RetentionDays: 30, EventPattern: { source: [{ prefix: 'duckstore.' }] } });
    const documents = resourcesOf(template(), 'AWS::SSM::Document');
    expect(documents.map(([, document]) => document.Properties?.DocumentType)).toEqual(['Automation', 'Automation', 'Automation']);
    const steps = documents.flatMap(([, document]) => (document.Properties?.Content as { mainSteps: { inputs: { Api?: string } }[] }).mainSteps.map((step) => step.inputs.Api));
    expect(steps).toEqual(expect.arrayContaining(['StartMessageMoveTask', 'StartReplay']));
    template().hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'ssm.amazonaws.com' } })]) } });

    // Without DestinationArn SQS returns each message to the queue it was dead-lettered from, and a message EventBridge or
    // the consumer itself put into the DLQ has none (SQS API reference, StartMessageMoveTask; docs/operations.md).
    const moves = documents.flatMap(([, document]) => (document.Properties?.Content as { mainSteps: { inputs: Record<string, unknown> }[] }).mainSteps.filter((step) => step.inputs.Api === 'StartMessageMoveTask'));
    expect(moves).toHaveLength(1);
    expect(moves[0]!.inputs).toMatchObject({ SourceArn: '{{ DeadLetterQueueArn }}', DestinationArn: '{{ DestinationQueueArn }}' });

    const localTemplate = local.templates.get(stackName)!;
    expect(resourcesOf(localTemplate, 'AWS::Events::Archive')).toHaveLength(0);
    expect(resourcesOf(localTemplate, 'AWS::SSM::Document')).toHaveLength(0);
    expect(resourcesOf(localTemplate, 'AWS::DynamoDB::Table').some(([id]) => id.startsWith('OperationsAuditLog'))).toBe(true);
  });
});

it('alarms when the payment provider breaker refuses calls, in the payments region only', () => {
  const breaker = (stackName: string) => alarmsOf(synthesized.templates.get(stackName)!).find(([, alarm]) => alarm.MetricName === 'CircuitBreakerOpen');
  expect(breaker('DuckStore-secondary')?.[1]).toMatchObject({ Namespace: 'DuckStore', Threshold: 1, Statistic: 'Sum', Dimensions: [{ Name: 'service', Value: 'payments' }] });
  expect(breaker('DuckStore-secondary')?.[1].AlarmDescription).toContain(runbooks.paymentProviderOutage);
  expect(breaker('DuckStore-primary')).toBeUndefined();
});

it('names the customer claim to the orders API behind the JWT authorizer only: without it the handler would take any body customerId (apiAuth=none keeps the body value)', () => {
  const apiVariables = (templates: Synthesized) =>
    resourcesOf(templates.templates.get('DuckStore-primary')!, 'AWS::Lambda::Function')
      .map(([, fn]) => (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})
      .filter((variables) => 'LOAD_SHED_MAX_IN_FLIGHT' in variables);
  expect(apiVariables(synthesized)).toEqual([expect.objectContaining({ CUSTOMER_CLAIM: 'sub' })]);
  const withoutAuth = synthesize({ 'duckstore:apiAuth': 'none' });
  expect(apiVariables(withoutAuth)).toHaveLength(1);
  expect(apiVariables(withoutAuth)[0]).not.toHaveProperty('CUSTOMER_CLAIM');
});
