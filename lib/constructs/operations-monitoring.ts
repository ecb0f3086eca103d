import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  CfnAlarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Construct } from 'constructs';
import { businessMetrics } from '../../functions/contracts/business-metrics';
import { CrossRegionForwarder } from './cross-region-forwarder';
import { DeadLetterQueue } from './dead-letter-queue';
import { EventConsumer } from './event-consumer';
import { InvariantAuditor } from './invariant-auditor';
import { OperationsTopic } from './operations-topic';
import { OutboxRelay } from './outbox-relay';
import { runbookOfDeadLetterQueue, runbooks, runbookSentence } from './operations-runbooks';

/** Thresholds, with why; the infra test pins them. */
export const operationsThresholds = {
  /** A dead letter untouched for an hour: the runbook was not followed (recovery takes < 10 minutes). */
  deadLetterAgeSeconds: 3600,
  /** The relay is a minute behind its stream: events reach consumers late; the saga deadline is minutes. */
  iteratorAgeMs: 60_000,
  /**
   * The oldest unpublished outbox row is five minutes old: past the sweeper's
   * bound (2 min) it has had three runs to publish it and all failed. At
   * least bound + 3 sweep intervals when those are set longer.
   */
  outboxOldestUnpublishedSeconds: 300,
  /** Five failed invocations in five minutes: more than a crash or two (retries absorb those). */
  consumerErrors: 5,
  /** Any throttle: the mapping's max concurrency should keep a consumer below its limit. */
  throttles: 1,
  /** Forwarded events waiting five minutes: the other region is not getting the saga's events. */
  forwardingAgeSeconds: 300,
  /** Any call refused by an open breaker, three minutes running: the provider is down, not blipping. */
  circuitBreakerOpenPerMinute: 1,
} as const;

export interface OperationsMonitoringProps {
  /** Whether the payment provider client (and its breaker) runs in this region. */
  readonly payments: boolean;
}

/**
 * The on-call view of one region: the alarms the building blocks do not make
 * themselves (age of the oldest dead letter, relay iterator age, age of the
 * oldest unpublished outbox row, consumer
 * errors and throttles, forwarding backlog, circuit breaker open), each
 * naming its runbook, and the dashboard an on-call engineer opens first.
 * Found by walking the stack, so no consumer, relay or forwarder can be
 * added without them. Create it last.
 */
export class OperationsMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const all = stack.node.findAll();
    const of = <T>(type: abstract new (...args: never[]) => T) => all.filter((candidate): candidate is T & Construct => candidate instanceof type);
    const deadLetterQueues = of(DeadLetterQueue);
    const consumers = of(EventConsumer);
    const relays = of(OutboxRelay);
    const forwarders = of(CrossRegionForwarder);
    const forwardingConsumers = new Set(forwarders.map((forwarder) => forwarder.consumer));
    const name = (construct: Construct) => construct.node.path.split('/').slice(1).join('');
    const topic = new SnsAction(OperationsTopic.of(this));
    const alarm = (alarmId: string, description: string, runbook: string, metric: IMetric, threshold: number, evaluationPeriods = 1) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: `${description} ${runbookSentence(runbook)}`,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(topic);
      this.alarms.push(created);
      return created;
    };

    for (const dlq of deadLetterQueues) {
      alarm(
        `${name(dlq)}OldestMessage`,
        `A message has waited in ${name(dlq)} for an hour: nobody has redriven it.`,
        runbookOfDeadLetterQueue(dlq),
        dlq.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        operationsThresholds.deadLetterAgeSeconds,
      );
    }
    for (const consumer of consumers) {
      const runbook = forwardingConsumers.has(consumer) ? runbooks.crossRegionForwarding : runbooks.consumerErrors;
      alarm(`${name(consumer)}Errors`, `${name(consumer)} failed invocations (retries follow; the DLQ takes what keeps failing).`, runbook, consumer.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), operationsThresholds.consumerErrors);
      alarm(`${name(consumer)}Throttles`, `${name(consumer)} was throttled: messages may be dead-lettered without having run.`, runbook, consumer.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), operationsThresholds.throttles);
    }
    for (const relay of relays) {
      // The stream's lag is the outbox's lag for rows in flight; a row the stream gave up on is caught by the auditor (invariant 6) and by the relay DLQ.
      alarm(
        `${name(relay)}IteratorAge`,
        `${name(relay)} is a minute or more behind its table's stream: outbox events are published late.`,
        runbooks.outboxRelay,
        relay.function.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
        operationsThresholds.iteratorAgeMs,
        3,
      );
      alarm(`${name(relay)}Errors`, `${name(relay)} failed invocations: outbox rows wait.`, runbooks.outboxRelay, relay.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), operationsThresholds.consumerErrors);
      // Every row the stream gave up on, lost or never saw is still in the outbox: its age is the one measure of "an event is late".
      alarm(
        `${name(relay)}OldestUnpublished`,
        `The oldest unpublished ${relay.context} outbox row has waited past the sweeper's bound for several runs: the sweeper cannot publish it (EventBridge refusing, a bad row, the sweeper failing).`,
        runbooks.outboxRelay,
        relay.metricOldestUnpublishedAge(),
        Math.max(operationsThresholds.outboxOldestUnpublishedSeconds, relay.sweepBound.toSeconds() + 3 * relay.sweepInterval.toSeconds()),
      );
    }
    for (const forwarder of forwarders) {
      const queue = forwarder.consumer.queue;
      alarm(`${name(forwarder)}BacklogAge`, `Events to forward to the other region have waited five minutes (partition, or the forwarder failing).`, runbooks.crossRegionForwarding, queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }), operationsThresholds.forwardingAgeSeconds, 3);
      // Age, not depth: a depth threshold depends on traffic, and the auditor's infra test takes every
      // ApproximateNumberOfMessagesVisible alarm for a DLQ's. The depth is on the dashboard.
    }
    const breakerOpen = new Metric({ namespace: businessMetrics.namespace, metricName: 'CircuitBreakerOpen', dimensionsMap: { service: 'payments' }, statistic: 'Sum', period: Duration.minutes(1) });
    if (props.payments) {
      alarm('CircuitBreakerOpen', 'The payment provider circuit breaker is refusing calls: the provider is failing; payments wait in their queue, then the DLQ.', runbooks.paymentProviderOutage, breakerOpen, operationsThresholds.circuitBreakerOpenPerMinute, 3);
    }

    // Alarms of building blocks this construct does not own: make sure each names its runbook too.
    for (const auditor of of(InvariantAuditor)) {
      for (const owned of [auditor.alarm, auditor.failingAlarm]) {
        const cfn = owned.node.defaultChild as CfnAlarm;
        cfn.alarmDescription = `${String(cfn.alarmDescription ?? '')} ${runbookSentence(runbooks.invariantViolations)}`.trim();
      }
    }

    const everyAlarm = stack.node.findAll().filter((candidate): candidate is Alarm => candidate instanceof Alarm);
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `DuckStore-${stack.region}`, defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# DuckStore ${stack.region}\nStart here: an alarm in red names its runbook (\`runbooks/\`). \`npx duckstore dlq list\` and \`npx duckstore audit\` from a checkout show the same state.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: everyAlarm, width: 24, height: 6 }));
    const sum = (metrics: IMetric[], label: string) =>
      metrics.length === 0 ? [] : [new MathExpression({ expression: metrics.map((_, index) => `${label}${index}`).join('+'), usingMetrics: Object.fromEntries(metrics.map((metric, index) => [`${label}${index}`, metric])), label, period: Duration.minutes(1) })];
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Dead letters (visible)', left: deadLetterQueues.map((dlq) => dlq.queue.metricApproximateNumberOfMessagesVisible({ label: name(dlq), period: Duration.minutes(1), statistic: 'Maximum' })), width: 12 }),
      new GraphWidget({
        title: 'Saga: orders placed, confirmed, cancelled',
        left: [businessMetrics.ordersPlaced, businessMetrics.ordersConfirmed, businessMetrics.ordersCancelled].map((metricName) => new Metric({ namespace: businessMetrics.namespace, metricName, statistic: 'Sum', period: Duration.minutes(1) })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Outbox: relay iterator age (ms), oldest unpublished row (s)',
        left: relays.map((relay) => relay.function.metric('IteratorAge', { label: name(relay), period: Duration.minutes(1), statistic: 'Maximum' })),
        right: relays.map((relay) => relay.metricOldestUnpublishedAge({ label: `${relay.context} oldest unpublished` })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Consumer errors and throttles',
        left: sum(consumers.map((consumer) => consumer.function.metricErrors({ period: Duration.minutes(1) })), 'errors'),
        right: sum(consumers.map((consumer) => consumer.function.metricThrottles({ period: Duration.minutes(1) })), 'throttles'),
        width: 8,
      }),
      new GraphWidget({
        title: 'Forwarding backlog (oldest, s; visible) and circuit breaker refusals',
        left: forwarders.flatMap((forwarder) => [
          forwarder.consumer.queue.metricApproximateAgeOfOldestMessage({ label: `${name(forwarder)} oldest`, period: Duration.minutes(1), statistic: 'Maximum' }),
          forwarder.consumer.queue.metricApproximateNumberOfMessagesVisible({ label: `${name(forwarder)} visible`, period: Duration.minutes(1), statistic: 'Maximum' }),
        ]),
        right: props.payments ? [breakerOpen] : [],
        width: 8,
      }),
    );
  }
}
