import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { breakerTableVariable } from '../../functions/contracts/dependency-breaker';
import type { EventContract } from '../../functions/contracts/envelope';
import type { ProbeInvocation } from '../../functions/shared/consumer-mapping';
import { DeadLetterQueue, maxRetention } from './dead-letter-queue';
import { DuckStoreFunction, type DuckStoreFunctionProps } from './duckstore-function';
import { duckStoreTable } from './duckstore-table';
import { acknowledgeWildcardResource } from './nag';

export interface PauseOnOutageProps {
  /** The dependency's name: the breaker item's key, e.g. `payment-provider`. */
  readonly dependency: string;
  /** The first probe after the breaker opens; later ones double up to `maxProbeInterval`. @default 2 seconds */
  readonly firstProbeAfter?: Duration;
  /** @default 10 seconds */
  readonly maxProbeInterval?: Duration;
  /**
   * After a successful probe the mapping resumes at 2 batches at once (the
   * least an SQS mapping allows) for this long, then at its full maximum
   * concurrency: the backlog of the outage arrives as a ramp. @default 10 seconds
   */
  readonly resumeRamp?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export interface EventConsumerProps {
  readonly bus: IEventBus;
  /** The events this consumer handles; the rule pattern is built from their source and detail type. */
  readonly contracts: readonly EventContract[];
  /** Only events published in this region (envelope `originRegion`); used by cross-region forwarding. @default events from any region */
  readonly onlyFromRegion?: string;
  readonly function: DuckStoreFunctionProps;
  /**
   * Receives before a message is dead-lettered. Five tolerates a crash or two
   * and a dependency outage of a few minutes (the consumer spaces them out:
   * functions/shared/redelivery.ts) without parking healthy messages;
   * permanent failures skip this and go to the DLQ at once.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /** Concurrent invocations of the mapping: a bulkhead that also keeps throttling from dead-lettering messages that never ran. @default 5 */
  readonly maxConcurrency?: number;
  /** @default 10 */
  readonly batchSize?: number;
}

/**
 * An EventBridge rule → SQS queue → Lambda consumer with every resilience
 * setting built in: DLQ with alarm, visibility timeout 6× the function timeout
 * (what a crashed invocation's messages wait; failed records get the
 * function's redelivery backoff through QUEUE_URL),
 * partial batch responses, bounded mapping concurrency, and a DLQ plus retry
 * policy on the rule target. The consumer's DLQ also takes messages the
 * function dead-letters itself (poison, with the reason as attributes) and
 * events EventBridge could not deliver, so one redrive covers all three.
 */
export class EventConsumer extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly function: DuckStoreFunction;
  readonly rule: Rule;
  readonly maxReceiveCount: number;
  /** How many batches its event source mapping runs at once. */
  readonly maxConcurrency: number;
  /** The shared breaker's table, once `pauseOnOutageOf` guarded this consumer. */
  breakerTable?: Table;
  private eventSource?: SqsEventSource;

  constructor(scope: Construct, id: string, props: EventConsumerProps) {
    super(scope, id);
    const maxReceiveCount = (this.maxReceiveCount = props.maxReceiveCount ?? 5);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: `Events ${id} could not process (poison, ${maxReceiveCount} failed receives, or undeliverable by EventBridge).`,
    });
    this.function = new DuckStoreFunction(this, 'Function', {
      ...props.function,
      environment: { DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queue.queueUrl, ...props.function.environment },
    });
    const functionTimeout = this.function.timeout ?? Duration.seconds(3);
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6),
      retentionPeriod: maxRetention,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue.queue, maxReceiveCount },
    });
    this.deadLetterQueue.queue.grantSendMessages(this.function);
    // Failed records are given their redelivery backoff on this queue (functions/shared/redelivery.ts); the mapping's grant covers ChangeMessageVisibility.
    this.function.addEnvironment('QUEUE_URL', this.queue.queueUrl);
    // A record that failed only because a dependency is down is requeued fresh one receive before the DLQ (functions/shared/event-consumer.ts).
    this.function.addEnvironment('MAX_RECEIVE_COUNT', String(maxReceiveCount));

    this.rule = new Rule(this, 'Rule', {
      eventBus: props.bus,
      description: `${id}: ${props.contracts.map((contract) => contract.detailType).join(', ')}`,
      eventPattern: consumerPattern(props.contracts, props.onlyFromRegion),
    });
    this.rule.addTarget(
      new SqsQueue(this.queue, {
        deadLetterQueue: this.deadLetterQueue.queue,
        // Delivery to SQS fails only on misconfiguration (policy, KMS); surface that within the hour, not after 24.
        retryAttempts: 20,
        maxEventAge: Duration.hours(1),
      }),
    );

    this.maxConcurrency = props.maxConcurrency ?? 5;
    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? 10,
      reportBatchItemFailures: true,
      maxConcurrency: this.maxConcurrency,
    });
    this.function.addEventSource(this.eventSource);
  }

  /**
   * Guards the consumer with a breaker on `dependency` shared by all its
   * execution environments (functions/shared/dependency-breaker.ts): while the
   * dependency is down the consumer's event source mapping is disabled, so
   * messages wait in the queue without a receive counted, and a probe that
   * succeeds enables it again. The same wiring on AWS and on the local cloud:
   * a breaker table, the function's right to switch its own mapping and to
   * invoke itself for the probe chain, and a once-a-minute backstop that
   * restarts a probe chain that died (a failed asynchronous invoke).
   */
  pauseOnOutageOf(props: PauseOnOutageProps): Table {
    const table = (this.breakerTable = duckStoreTable(this, 'Breaker', { removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN }));
    table.grantReadWriteData(this.function);
    const fn = this.function;
    fn.addEnvironment(breakerTableVariable, table.tableName);
    fn.addEnvironment('QUEUE_ARN', this.queue.queueArn);
    fn.addEnvironment('BREAKER_FIRST_PROBE_MS', String((props.firstProbeAfter ?? Duration.seconds(2)).toMilliseconds()));
    fn.addEnvironment('BREAKER_MAX_PROBE_INTERVAL_MS', String((props.maxProbeInterval ?? Duration.seconds(10)).toMilliseconds()));
    fn.addEnvironment('BREAKER_RAMP_MS', String((props.resumeRamp ?? Duration.seconds(10)).toMilliseconds()));
    // The mapping's own maximum, restored when the ramp ends (the SQS mapping's ScalingConfig).
    fn.addEnvironment('MAPPING_MAX_CONCURRENCY', String(this.maxConcurrency));

    // Its own policy, not the role's default one: the function depends on that, and the mapping depends on the function.
    const mappingArn = this.eventSource!.eventSourceMappingArn;
    const listAnyMapping = '*';
    const policy = new Policy(this, 'PauseOnOutage', {
      roles: [fn.role!],
      statements: [
        new PolicyStatement({ actions: ['lambda:UpdateEventSourceMapping'], resources: [mappingArn] }),
        // ListEventSourceMappings supports no resource-level permission (Service Authorization Reference, AWS Lambda).
        new PolicyStatement({ actions: ['lambda:ListEventSourceMappings'], resources: [listAnyMapping] }),
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
      ],
    });
    acknowledgeWildcardResource(
      policy,
      listAnyMapping,
      'lambda:ListEventSourceMappings has no resource-level permissions; the consumer lists only to find its own mapping, which is the one resource it may update.',
    );

    const probe: ProbeInvocation = { duckstoreProbe: { dependency: props.dependency, fromChain: false } };
    const backstop = new Rule(this, 'ProbeSchedule', { schedule: Schedule.rate(Duration.minutes(1)), description: `Restarts a stopped probe chain of the ${props.dependency} breaker` });
    // Like every scheduled job: retried, and a tick EventBridge could not deliver is visible in a DLQ (the next tick still comes).
    const scheduleDeadLetters = new DeadLetterQueue(this, 'ScheduleDeadLetters', { purpose: `Backstop probes of the ${props.dependency} breaker EventBridge could not start.` });
    backstop.addTarget(new LambdaFunction(fn, { event: RuleTargetInput.fromObject(probe), deadLetterQueue: scheduleDeadLetters.queue, retryAttempts: 2, maxEventAge: Duration.minutes(1) }));
    return table;
  }
}

/** The rule pattern, from the contracts: the same strings the producers write and the consumer parses. */
export function consumerPattern(contracts: readonly EventContract[], onlyFromRegion?: string) {
  return {
    source: [...new Set(contracts.map((contract) => contract.source))],
    detailType: contracts.map((contract) => contract.detailType),
    ...(onlyFromRegion ? { detail: { metadata: { originRegion: [onlyFromRegion] } } } : {}),
  };
}
