import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { subscriptions } from '../../functions/contracts/subscriptions';
import { resourcesOf, synthesize, type Synthesized } from '../helpers/synth';

type Ref = { Ref?: string; 'Fn::GetAtt'?: [string, string] };
const logicalId = (value: unknown): string => {
  const ref = value as Ref;
  return ref.Ref ?? ref['Fn::GetAtt']?.[0] ?? '';
};

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize();
});

describe('the default two-region topology', () => {
  it('synthesizes one stack per region, payments in the secondary', () => {
    expect(synthesized.stacks.map((stack) => [stack.stackName, stack.region])).toEqual([
      ['DuckStore-primary', 'us-east-1'],
      ['DuckStore-secondary', 'us-west-2'],
    ]);
    expect(synthesized.stacks[0]!.payments).toBeUndefined();
    expect(synthesized.stacks[1]!.payments).toBeDefined();
  });
});

describe.each([['DuckStore-primary'], ['DuckStore-secondary']])('%s', (stackName) => {
  const template = () => synthesized.templates.get(stackName)!;

  it('gives every SQS consumer partial batch responses and a bounded concurrency', () => {
    const mappings = resourcesOf(template(), 'AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties?.EventSourceArn).includes('Queue'));
    expect(mappings.length).toBeGreaterThan(0);
    for (const [, mapping] of mappings) {
      expect(mapping.Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect((mapping.Properties?.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency).toBeGreaterThanOrEqual(2);
      expect(mapping.Properties?.BatchSize).toBeLessThanOrEqual(10);
    }
  });

  it('sets each consumer queue visibility timeout to at least 6x its function timeout and a DLQ with a maxReceiveCount', () => {
    const queues = Object.fromEntries(resourcesOf(template(), 'AWS::SQS::Queue'));
    const functions = Object.fromEntries(resourcesOf(template(), 'AWS::Lambda::Function'));
    const mappings = resourcesOf(template(), 'AWS::Lambda::EventSourceMapping').filter(([, m]) => logicalId(m.Properties?.EventSourceArn) in queues);
    for (const [, mapping] of mappings) {
      const queue = queues[logicalId(mapping.Properties?.EventSourceArn)]!;
      const fn = functions[logicalId(mapping.Properties?.FunctionName)]!;
      expect(queue.Properties?.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * (fn.Properties?.Timeout as number));
      const redrive = queue.Properties?.RedrivePolicy as { maxReceiveCount: number; deadLetterTargetArn: unknown };
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(3);
      expect(redrive.maxReceiveCount).toBeLessThanOrEqual(10);
      expect(logicalId(redrive.deadLetterTargetArn) in queues).toBe(true);
    }
  });

  it('tells each consumer which queue it polls and lets it change visibility there, for the redelivery backoff of failed records', () => {
    const queues = Object.fromEntries(resourcesOf(template(), 'AWS::SQS::Queue'));
    const functions = Object.fromEntries(resourcesOf(template(), 'AWS::Lambda::Function'));
    const policies = resourcesOf(template(), 'AWS::IAM::Policy').map(([, policy]) => policy);
    const mappings = resourcesOf(template(), 'AWS::Lambda::EventSourceMapping').filter(([, m]) => logicalId(m.Properties?.EventSourceArn) in queues);
    expect(mappings.length).toBeGreaterThan(0);
    for (const [, mapping] of mappings) {
      const queueId = logicalId(mapping.Properties?.EventSourceArn);
      const fn = functions[logicalId(mapping.Properties?.FunctionName)]!;
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(logicalId(variables.QUEUE_URL), `QUEUE_URL of ${logicalId(mapping.Properties?.FunctionName)}`).toBe(queueId);
      const role = logicalId(fn.Properties?.Role);
      const statements = policies
        .filter((policy) => (policy.Properties?.Roles as unknown[]).some((candidate) => logicalId(candidate) === role))
        .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement);
      const grants = statements.filter((statement) => [statement.Action].flat().includes('sqs:ChangeMessageVisibility') && logicalId(statement.Resource) === queueId);
      expect(grants, `sqs:ChangeMessageVisibility on ${queueId}`).toHaveLength(1);
    }
  });

  it('never lets one bad record block a DynamoDB stream: bisect, bounded retries and age, on-failure destination', () => {
    const mappings = resourcesOf(template(), 'AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties?.EventSourceArn).includes('StreamArn'));
    expect(mappings.length).toBeGreaterThan(0);
    for (const [, mapping] of mappings) {
      const p = mapping.Properties!;
      expect(p.BisectBatchOnFunctionError).toBe(true);
      expect(p.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(p.MaximumRetryAttempts).toBeLessThanOrEqual(10);
      expect(p.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(24 * 3600);
      expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(p.StartingPosition).toBe('TRIM_HORIZON');
      expect(JSON.stringify(p.DestinationConfig)).toContain('OnFailure');
      expect(JSON.stringify(p.FilterCriteria)).toContain('outbox');
    }
  });

  it('gives every rule target a DLQ and a retry policy', () => {
    const rules = resourcesOf(template(), 'AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [, rule] of rules) {
      for (const target of rule.Properties?.Targets as { DeadLetterConfig?: unknown; RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number } }[]) {
        expect(target.DeadLetterConfig).toBeDefined();
        expect(target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
        expect(target.RetryPolicy?.MaximumEventAgeInSeconds).toBeGreaterThan(0);
      }
    }
  });

  it('alarms on ApproximateNumberOfMessagesVisible of every DLQ', () => {
    const queues = resourcesOf(template(), 'AWS::SQS::Queue');
    const deadLetterIds = new Set<string>();
    for (const [, queue] of queues) {
      const redrive = queue.Properties?.RedrivePolicy as { deadLetterTargetArn: unknown } | undefined;
      if (redrive) deadLetterIds.add(logicalId(redrive.deadLetterTargetArn));
    }
    for (const [, mapping] of resourcesOf(template(), 'AWS::Lambda::EventSourceMapping')) {
      const onFailure = (mapping.Properties?.DestinationConfig as { OnFailure?: { Destination: unknown } } | undefined)?.OnFailure;
      if (onFailure) deadLetterIds.add(logicalId(onFailure.Destination));
    }
    expect(deadLetterIds.size).toBeGreaterThan(0);
    const alarms = resourcesOf(template(), 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties!);
    for (const id of deadLetterIds) {
      const alarm = alarms.find((a) => JSON.stringify(a.Dimensions).includes(id));
      expect(alarm, `alarm for ${id}`).toBeDefined();
      expect(alarm!.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(alarm!.Threshold).toBe(1);
      expect(alarm!.AlarmActions).toHaveLength(1);
    }
  });

  it('encrypts every queue and refuses non-TLS access', () => {
    for (const [, queue] of resourcesOf(template(), 'AWS::SQS::Queue')) expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    const policies = resourcesOf(template(), 'AWS::SQS::QueuePolicy').map(([, p]) => JSON.stringify(p.Properties));
    const queueCount = resourcesOf(template(), 'AWS::SQS::Queue').length;
    expect(policies.filter((p) => p.includes('"aws:SecureTransport":"false"') && p.includes('"Effect":"Deny"')).length).toBe(queueCount);
  });

  it('encrypts every table and keeps point-in-time recovery', () => {
    for (const [, table] of resourcesOf(template(), 'AWS::DynamoDB::Table')) {
      expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    template().hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } });
  });

  it('runs every function on Node.js 22, arm64, with active tracing', () => {
    for (const [, fn] of resourcesOf(template(), 'AWS::Lambda::Function')) {
      if ((fn.Properties?.Handler as string) !== 'index.handler') continue; // CDK's own custom-resource providers
      expect(fn.Properties?.Runtime).toBe('nodejs22.x');
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
      expect(fn.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('grants no wildcard resource except where AWS accepts no ARN (X-Ray, dynamodb:ListStreams, lambda:ListEventSourceMappings)', () => {
    for (const [, policy] of resourcesOf(template(), 'AWS::IAM::Policy')) {
      for (const statement of (policy.Properties?.PolicyDocument as { Statement: { Resource: unknown; Action: string | string[] }[] }).Statement) {
        if (statement.Resource !== '*') continue;
        const actions = [statement.Action].flat();
        expect(actions.every((action) => action.startsWith('xray:') || action === 'dynamodb:ListStreams' || action === 'lambda:ListEventSourceMappings'), actions.join(',')).toBe(true);
      }
    }
  });
});

describe('function bundles', () => {
  it('keeps every bundle, AWS SDK included, under 1 MB minified', () => {
    const bundles = readdirSync(synthesized.outdir)
      .filter((entry) => entry.startsWith('asset.'))
      .map((entry) => join(synthesized.outdir, entry, 'index.js'))
      .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
    expect(bundles.length).toBeGreaterThanOrEqual(8);
    for (const bundle of bundles) expect(statSync(bundle).size, bundle).toBeLessThanOrEqual(1024 * 1024);
  });
});

describe('event routing', () => {
  it('builds each consumer rule pattern from the subscriptions of its context', () => {
    const primary = synthesized.stacks[0]!;
    const secondary = synthesized.stacks[1]!;
    const cases = [
      [primary.orders!.consumer.rule, subscriptions.orders],
      [primary.inventory!.consumer.rule, subscriptions.inventory],
      [primary.notifications!.consumer.rule, subscriptions.notifications],
      [secondary.payments!.consumer.rule, subscriptions.payments],
    ] as const;
    for (const [rule, contracts] of cases) {
      const template = synthesized.templates.get(rule.stack.stackName)!;
      const id = rule.stack.getLogicalId(rule.node.defaultChild as never);
      const pattern = (template.toJSON() as { Resources: Record<string, { Properties: { EventPattern: Record<string, unknown> } }> }).Resources[id]!.Properties.EventPattern;
      expect(pattern['detail-type']).toEqual(contracts.map((contract) => contract.detailType));
      expect(pattern.source).toEqual([...new Set(contracts.map((contract) => contract.source))]);
    }
  });

  it('forwards across regions exactly the events the other region consumes, only those that originated locally', () => {
    const [primary, secondary] = [synthesized.templates.get('DuckStore-primary')!, synthesized.templates.get('DuckStore-secondary')!];
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['InventoryReserved', 'OrderCancelled'], detail: { metadata: { originRegion: ['us-east-1'] } } },
    });
    secondary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['PaymentAuthorized', 'PaymentDeclined'], detail: { metadata: { originRegion: ['us-west-2'] } } },
    });
    primary.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TARGET_REGION: 'us-west-2', TARGET_EVENT_BUS_ARN: Match.anyValue() }) },
    });
    primary.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('events:us-west-2:')])] } })]) },
    });
  });
});

describe('orders API', () => {
  it('requires a Cognito JWT on every route by default', () => {
    const template = synthesized.templates.get('DuckStore-primary')!;
    const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['GET /orders/{orderId}', 'POST /orders']);
    for (const route of routes) expect(route.AuthorizationType).toBe('JWT');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }) });
  });

  it('writes the order and its outbox row with one function that may only touch the orders table', () => {
    const template = synthesized.templates.get('DuckStore-primary')!;
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue(), POWERTOOLS_SERVICE_NAME: 'orders' }) } });
  });
});

describe('saga deadline', () => {
  const primary = () => synthesized.stacks[0]!;
  const template = () => synthesized.templates.get('DuckStore-primary')!;
  const idOf = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
  const statementsOf = (roleLogicalId: string): Statement[] =>
    resourcesOf(template(), 'AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties?.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
      .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  const actionsOf = (statement: Statement) => [statement.Action].flat();

  it('keeps the order timers in a schedule group of the orders context, named to every function that sets or clears them', () => {
    const deadlines = primary().orders!.deadlines;
    const groups = resourcesOf(template(), 'AWS::Scheduler::ScheduleGroup');
    expect(groups.map(([id]) => id)).toEqual([idOf(deadlines.scheduleGroup)]);
    const group = groups[0]![1];
    for (const fn of [deadlines.arming.function, deadlines.sweeper, primary().orders!.consumer.function]) {
      template().hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [idOf(fn.role!), 'Arn'] },
        Environment: { Variables: Match.objectLike({ SCHEDULE_GROUP_NAME: group.Properties?.Name }) },
      });
    }
  });

  it('lets EventBridge Scheduler, for this group only, send timers to the orders consumer queue and its DLQ, and do nothing else', () => {
    const { deadlines, consumer } = primary().orders!;
    const roleId = idOf(deadlines.schedulerRole);
    template().hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': Match.anyValue() }, ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [idOf(deadlines.scheduleGroup), 'Arn'] } } },
          },
        ],
      },
      ManagedPolicyArns: Match.absent(),
    });
    expect(statementsOf(roleId)).toEqual([
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: expect.arrayContaining([{ 'Fn::GetAtt': [idOf(consumer.queue), 'Arn'] }, { 'Fn::GetAtt': [idOf(consumer.deadLetterQueue.queue), 'Arn'] }]),
      },
    ]);
    expect((statementsOf(roleId)[0]!.Resource as unknown[]).length).toBe(2);
  });

  it('lets only the arming function create timers and pass the scheduler role, and the timer clearers only delete them', () => {
    const { deadlines, consumer } = primary().orders!;
    const schedulerActions = new Map<string, string[]>();
    for (const [, policy] of resourcesOf(template(), 'AWS::IAM::Policy')) {
      const roles = (policy.Properties?.Roles as { Ref: string }[]).map((role) => role.Ref);
      const statements = (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
      const actions = statements.flatMap(actionsOf).filter((action) => action.startsWith('scheduler:') || action === 'iam:PassRole');
      for (const role of roles) if (actions.length > 0) schedulerActions.set(role, actions.sort());
    }
    expect(Object.fromEntries(schedulerActions)).toEqual({
      [idOf(deadlines.arming.function.role!)]: ['iam:PassRole', 'scheduler:CreateSchedule', 'scheduler:UpdateSchedule'],
      [idOf(consumer.function.role!)]: ['scheduler:DeleteSchedule'],
      [idOf(deadlines.sweeper.role!)]: ['scheduler:DeleteSchedule'],
    });
    const passRole = statementsOf(idOf(deadlines.arming.function.role!)).find((statement) => actionsOf(statement).includes('iam:PassRole'));
    expect(passRole?.Resource).toEqual({ 'Fn::GetAtt': [idOf(deadlines.schedulerRole), 'Arn'] });
  });

  it('arms timers from OrderPlaced in a consumer of its own, apart from the orders consumer', () => {
    const { deadlines, consumer } = primary().orders!;
    template().hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['duckstore.orders'], 'detail-type': ['OrderPlaced'] }, Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [idOf(deadlines.arming.queue), 'Arn'] } })] });
    expect(idOf(deadlines.arming.queue)).not.toBe(idOf(consumer.queue));
  });

  it('sweeps once a minute, each run ending before the next tick, and parks a failed sweep where an alarm sees it', () => {
    const { deadlines } = primary().orders!;
    const sweeperId = idOf(deadlines.sweeper);
    const deadLettersId = idOf(deadlines.sweeperDeadLetterQueue.queue);
    template().hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweeperId, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] } } })],
    });
    const sweeper = Object.fromEntries(resourcesOf(template(), 'AWS::Lambda::Function'))[sweeperId]!;
    // Reserved only with duckstore:reservedConcurrency (test/infra/aws-constraints.test.ts): overlapping runs are harmless.
    expect(sweeper.Properties?.ReservedConcurrentExecutions).toBeUndefined();
    expect(sweeper.Properties?.Timeout as number).toBeLessThan(60);
    template().hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: sweeperId },
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [deadLettersId, 'Arn'] } } },
    });
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLettersId, 'QueueName'] } }],
    });
  });

  it('indexes only PENDING orders (a sparse key), by deadline, for the sweep to query without a scan', () => {
    template().hasResourceProperties('AWS::DynamoDB::Table', {
      // Next to the unpublished-outbox index every outbox table has (test/infra/outbox-sweeper.test.ts).
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'PendingByDeadline',
          KeySchema: [
            { AttributeName: 'pendingShard', KeyType: 'HASH' },
            { AttributeName: 'deadline', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]),
    });
    template().hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SWEEP_GRACE_SECONDS: '60', SWEEP_LIMIT: '100' }) } });
  });

  it('gives the API the saga deadline of cdk.json (300 s)', () => {
    template().hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [idOf(primary().orders!.apiFunction.role!), 'Arn'] },
      Environment: { Variables: Match.objectLike({ SAGA_DEADLINE_SECONDS: '300' }) },
    });
  });

  it('gives the API its load-shedding limit (1000 orders in flight by default; docs/resilience.md)', () => {
    template().hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [idOf(primary().orders!.apiFunction.role!), 'Arn'] },
      Environment: { Variables: Match.objectLike({ LOAD_SHED_MAX_IN_FLIGHT: '1000' }) },
    });
  });

  it('gives the API its admission settings: half of deadline − margin, the margin itself; no breaker where payments is in another region', () => {
    const api = primary().orders!.apiFunction;
    const [, resource] = resourcesOf(template(), 'AWS::Lambda::Function').find(([id]) => id === Stack.of(api).getLogicalId(api.node.defaultChild as CfnElement))!;
    const variables = (resource.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(variables).toMatchObject({ ADMISSION_BUDGET_PERCENT: '50', SAGA_DEADLINE_MARGIN_MS: '10000' });
    expect(variables).not.toHaveProperty('DUCKSTORE_BREAKER_TABLE');
  });

  it('lets the API read the payment breaker (GetItem, no write) when payments runs in the same region', () => {
    const single = synthesize({
      'duckstore:topology': { regions: { primary: 'eu-west-1' }, contexts: { orders: 'primary', inventory: 'primary', payments: 'primary', notifications: 'primary' } },
    });
    const stack = single.stacks[0]!;
    const api = stack.orders!.apiFunction;
    const breakerTable = stack.getLogicalId(stack.payments!.consumer.breakerTable!.node.defaultChild as CfnElement);
    const singleTemplate = single.templates.get(stack.stackName)!;

    singleTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [stack.getLogicalId(api.role!.node.defaultChild as CfnElement), 'Arn'] },
      Environment: { Variables: Match.objectLike({ DUCKSTORE_BREAKER_TABLE: { Ref: breakerTable } }) },
    });
    const statements = resourcesOf(singleTemplate, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles).includes(stack.getLogicalId(api.role!.node.defaultChild as CfnElement)))
      .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement)
      .filter((statement) => JSON.stringify(statement.Resource).includes(breakerTable));
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
  });

  it.each([['5'], [-1], ['soon'], [30.5]])('refuses duckstore:sagaDeadlineSeconds=%j, naming the setting', (value) => {
    expect(() => synthesize({ 'duckstore:sagaDeadlineSeconds': value })).toThrow(/duckstore:sagaDeadlineSeconds must be a whole number of seconds, at least 10/);
  });
  it('tells inventory and payments the margin they keep before the deadline, 10 s unless set', () => {
    const marginOf = (stacks: Synthesized) => {
      const [primary, secondary] = stacks.stacks;
      return [primary!.inventory!.consumer.function, secondary!.payments!.consumer.function].map((fn) => {
        const template = stacks.templates.get(Stack.of(fn).stackName)!;
        const [, resource] = resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id === Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement))!;
        return (resource.Properties?.Environment as { Variables: Record<string, string> }).Variables.SAGA_DEADLINE_MARGIN_MS;
      });
    };

    expect(marginOf(synthesized)).toEqual(['10000', '10000']);
    expect(marginOf(synthesize({ 'duckstore:sagaDeadlineMarginSeconds': '20' }))).toEqual(['20000', '20000']);
  });

  it('refuses a margin of more than half the saga deadline, naming both settings', () => {
    expect(() => synthesize({ 'duckstore:sagaDeadlineSeconds': '30', 'duckstore:sagaDeadlineMarginSeconds': '16' })).toThrow(
      /duckstore:sagaDeadlineMarginSeconds \(16\) must be at most half of duckstore:sagaDeadlineSeconds \(30\)/,
    );
  });
});

describe('a one-region topology', () => {
  it('synthesizes a single stack with every context and no forwarding', () => {
    const single = synthesize({
      'duckstore:topology': { regions: { primary: 'eu-west-1' }, contexts: { orders: 'primary', inventory: 'primary', payments: 'primary', notifications: 'primary' } },
      'duckstore:apiAuth': 'none',
    });
    expect(single.stacks).toHaveLength(1);
    const [stack] = single.stacks;
    expect([stack!.orders, stack!.inventory, stack!.payments, stack!.notifications].every(Boolean)).toBe(true);
    expect(stack!.forwarders).toHaveLength(0);
    const routes = resourcesOf(single.templates.get('DuckStore-primary')!, 'AWS::ApiGatewayV2::Route');
    for (const [, route] of routes) expect(route.Properties?.AuthorizationType ?? 'NONE').toBe('NONE');
  });

  it('refuses a topology that places a context in an undefined region, naming the problem', () => {
    expect(() => synthesize({ 'duckstore:topology': { regions: { primary: 'us-east-1' }, contexts: { orders: 'primary', inventory: 'primary', payments: 'tertiary', notifications: 'primary' } } })).toThrow(
      /contexts\.payments: region role "tertiary" is not defined/,
    );
  });
});

