import { Duration } from 'aws-cdk-lib';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventContract } from '../../functions/contracts/envelope';
import { DeadLetterQueue, maxRetention } from './dead-letter-queue';
import { DuckStoreFunction, type DuckStoreFunctionProps } from './duckstore-function';

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

  constructor(scope: Construct, id: string, props: EventConsumerProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
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

    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 5,
      }),
    );
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
