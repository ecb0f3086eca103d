import { Arn, Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { contextNames } from '../../functions/contracts/envelope';
import { invariantMetrics } from '../../functions/contracts/invariant-metrics';
import { regionOf, stackName, type Topology } from '../topology';
import { DeadLetterQueue } from './dead-letter-queue';
import { acknowledgeWildcardResource } from './nag';
import { DuckStoreFunction } from './duckstore-function';
import { OperationsTopic } from './operations-topic';

/** The tables the auditor reads: each context's state table and the provider simulator's ledger. */
export type AuditedTable = (typeof contextNames)[number] | 'ledger';

export interface InvariantAuditorProps {
  readonly topology: Topology;
  /** The audited tables that live in this stack. Those of other regions are found by their stack, at run time. */
  readonly tables: Partial<Record<AuditedTable, ITable>>;
  /** Whether the payments region runs the provider simulator, whose ledger is then audited too. */
  readonly ledgerDeployed: boolean;
  /** @default Duration.minutes(15) */
  readonly every?: Duration;
  /** How long an event may take from outbox to consumers before a missing effect is a violation. @default 2 minutes */
  readonly outboxBound?: Duration;
  /** How long past its saga deadline a PENDING order may stay before it counts as stuck: the timer, or else the sweep after its own grace, must have ended it. @default 3 minutes */
  readonly grace?: Duration;
}

/** The construct-path prefix CloudFormation puts at the start of each audited table's logical id. */
const logicalIdPrefix = (table: AuditedTable): string =>
  table === 'ledger' ? 'PaymentProviderSimulatorLedger' : `${table[0]!.toUpperCase()}${table.slice(1)}TablesState`;

/** A DLQ's name as the operator CLI shows it: its construct path in the stack, without separators. */
const pathName = (scope: IConstruct): string => scope.node.path.split('/').slice(1).join('');

/**
 * The invariant auditor, scheduled: every `every`, a function reads every
 * context's table (in both regions) and this region's DLQ depths, checks the
 * invariants of DESIGN.md (`functions/auditor/`) and publishes
 * `InvariantViolations`, which alarms the stack's operations topic at 1.
 * Each region runs one, so an audit still runs when a region is down (and
 * then reports the other region's tables as unreadable).
 *
 * Create it last in the stack: it reads every DeadLetterQueue already in it.
 */
export class InvariantAuditor extends Construct {
  readonly function: DuckStoreFunction;
  readonly rule: Rule;
  readonly alarm: Alarm;
  readonly failingAlarm: Alarm;

  constructor(scope: Construct, id: string, props: InvariantAuditorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const every = props.every ?? Duration.minutes(15);
    const scheduleDeadLetters = new DeadLetterQueue(this, 'ScheduleDeadLetters', { purpose: 'Scheduled audits EventBridge could not start.' });

    this.function = new DuckStoreFunction(this, 'Function', {
      entry: 'auditor/handlers/scheduled-entry.ts',
      serviceName: invariantMetrics.serviceName,
      // Scans every table: memory buys CPU for the checks and network for the parallel segments.
      memorySize: 1024,
      timeout: Duration.minutes(5),
      // The next run redoes the audit; a failed one shows on the errors alarm.
      retryAttempts: 0,
      // The alarm below watches this namespace: said here, not left to the building block's default.
      environment: { POWERTOOLS_METRICS_NAMESPACE: invariantMetrics.namespace },
    });
    const fn = this.function;

    const tables: Record<string, unknown> = {};
    const wildcardArns: string[] = [];
    const audited: AuditedTable[] = [...contextNames, ...(props.ledgerDeployed ? (['ledger'] as const) : [])];
    for (const table of audited) {
      const region = regionOf(props.topology, table === 'ledger' ? 'payments' : table);
      if (region === stack.region) {
        const local = props.tables[table];
        if (!local) throw new Error(`${id}: the ${table} table lives in this stack (${region}) but was not given`);
        // Scan on the table only: the auditor never reads an index.
        Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:Scan'], resourceArns: [local.tableArn] });
        tables[table] = { region, tableName: local.tableName };
        continue;
      }
      const remoteStack = stackName(props.topology, region);
      // CloudFormation names the table `<stack>-<logical id>-<suffix>`; the name is only known in that region's deployment.
      const tableArn = Arn.format({ service: 'dynamodb', region, resource: 'table', resourceName: `${remoteStack}-${logicalIdPrefix(table)}*` }, stack);
      Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:Scan'], resourceArns: [tableArn] });
      wildcardArns.push(tableArn);
      tables[table] = { region, stackName: remoteStack, logicalIdPrefix: logicalIdPrefix(table) };
    }
    const remoteStacks = [...new Set(audited.map((table) => regionOf(props.topology, table === 'ledger' ? 'payments' : table)).filter((region) => region !== stack.region))];
    if (remoteStacks.length > 0) {
      const stackArns = remoteStacks.map((region) => Arn.format({ service: 'cloudformation', region, resource: 'stack', resourceName: `${stackName(props.topology, region)}/*` }, stack));
      Grant.addToPrincipal({ grantee: fn, actions: ['cloudformation:ListStackResources'], resourceArns: stackArns });
      wildcardArns.push(...stackArns);
      for (const arn of wildcardArns) {
        acknowledgeWildcardResource(
          fn.role!,
          arn,
          "Read-only (Scan, ListStackResources) on the other region's tables and its stack, where the auditor finds their names: CloudFormation generates them (<stack>-<logical id>-<suffix>) and the region stacks have no cross-region references, so the ARN ends in a wildcard after the stack and logical-id prefix.",
        );
      }
    }

    const deadLetterQueues = stack.node.findAll().filter((candidate): candidate is DeadLetterQueue => candidate instanceof DeadLetterQueue);
    for (const dlq of deadLetterQueues) dlq.queue.grant(fn, 'sqs:GetQueueAttributes');

    fn.addEnvironment(
      'AUDIT_SOURCES',
      stack.toJsonString({ tables, deadLetterQueues: deadLetterQueues.map((dlq) => ({ region: stack.region, name: pathName(dlq), url: dlq.queue.queueUrl })) }),
    );
    fn.addEnvironment('OUTBOX_BOUND_SECONDS', String((props.outboxBound ?? Duration.minutes(2)).toSeconds()));
    fn.addEnvironment('GRACE_SECONDS', String((props.grace ?? Duration.minutes(3)).toSeconds()));

    this.rule = new Rule(this, 'Schedule', { schedule: Schedule.rate(every), description: 'Runs the invariant auditor' });
    this.rule.addTarget(new LambdaFunction(fn, { deadLetterQueue: scheduleDeadLetters.queue, retryAttempts: 2, maxEventAge: Duration.minutes(10) }));

    const topic = new SnsAction(OperationsTopic.of(this));
    this.alarm = new Alarm(this, 'Violations', {
      alarmDescription: 'The invariant auditor found a violated invariant of DESIGN.md. Its log line "invariant audit failed" names the invariants and order ids; `duckstore audit` reproduces it.',
      metric: new Metric({
        namespace: invariantMetrics.namespace,
        metricName: invariantMetrics.violations,
        dimensionsMap: { service: invariantMetrics.serviceName },
        statistic: 'Maximum',
        period: every,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No datapoint is no run: that is the failing alarm's business, not a violation.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(topic);
    this.failingAlarm = new Alarm(this, 'Failing', {
      alarmDescription: 'The invariant auditor itself failed: invariants are not being checked. See its log group.',
      metric: fn.metricErrors({ period: every, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.failingAlarm.addAlarmAction(topic);
  }
}
