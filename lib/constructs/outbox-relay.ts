import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { ContextName } from '../../functions/contracts/envelope';
import { outboxKind, outboxMetrics, unpublishedOutboxIndex } from '../../functions/contracts/outbox';
import { DeadLetterQueue } from './dead-letter-queue';
import { DuckStoreFunction } from './duckstore-function';

export interface OutboxRelayProps {
  /** A state table with a NEW_IMAGE stream and the unpublished-outbox index (ContextTables makes both). */
  readonly table: ITable;
  readonly bus: IEventBus;
  /** The context whose outbox this is: names the relay's and the sweeper's services, and the sweeper's metric dimension. */
  readonly context: ContextName;
  /**
   * How old an unpublished row must be before the sweeper publishes it. Longer
   * than a healthy relay ever takes (seconds), so the sweeper only picks up
   * what the stream gave up on or lost. @default 120 seconds
   */
  readonly sweepBound?: Duration;
  /** How often the sweeper runs. @default 1 minute */
  readonly sweepInterval?: Duration;
}

/**
 * Publishes a context's outbox rows to the region's bus, in two lines of defence.
 *
 * 1. The relay, on the table's DynamoDB stream. The mapping never lets one bad
 *    record block its shard: it bisects failing batches, retries a bounded
 *    number of times, gives up on records older than six hours and sends a
 *    notice of what it gives up on to the DLQ.
 * 2. The sweeper, once a minute: the row the relay did not publish stays in
 *    the outbox (no TTL), so the sweeper reads the rows older than the bound
 *    from the table's sparse index of unpublished rows and publishes them with
 *    the relay's own code. It reports the age of the oldest unpublished row
 *    (the alarm in OperationsMonitoring). Nothing is lost, and no operator is
 *    needed once the cause (an EventBridge blip) is gone.
 */
export class OutboxRelay extends Construct {
  readonly function: DuckStoreFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly context: ContextName;
  readonly sweeper: DuckStoreFunction;
  readonly sweeperDeadLetterQueue: DeadLetterQueue;
  readonly sweepRule: Rule;
  readonly sweepBound: Duration;
  readonly sweepInterval: Duration;

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    this.context = props.context;
    const serviceName = `${props.context}-relay`;
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: `Outbox rows ${serviceName} could not publish (rejected by EventBridge, invalid, or retries exhausted).`,
    });
    this.function = new DuckStoreFunction(this, 'Function', {
      entry: 'outbox-relay/handler.ts',
      serviceName,
      timeout: Duration.seconds(30),
      environment: {
        TABLE_NAME: props.table.tableName,
        EVENT_BUS_NAME: props.bus.eventBusName,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queue.queueUrl,
      },
    });
    props.bus.grantPutEventsTo(this.function);
    // Deleting a published row is the relay's only write.
    props.table.grant(this.function, 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem');
    this.deadLetterQueue.queue.grantSendMessages(this.function);

    this.function.addEventSource(
      new DynamoEventSource(props.table, {
        // Never skip rows written before the mapping existed.
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 50,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(6),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue.queue),
        // Only new outbox rows invoke the relay; state rows and deletions are filtered out before billing.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { NewImage: { kind: { S: FilterRule.isEqual(outboxKind) } } } })],
      }),
    );

    this.sweepBound = props.sweepBound ?? Duration.minutes(2);
    this.sweepInterval = props.sweepInterval ?? Duration.minutes(1);
    this.sweeperDeadLetterQueue = new DeadLetterQueue(this, 'SweeperDeadLetters', {
      purpose: `Outbox sweeps of ${props.context} that failed (DynamoDB errors) or that EventBridge could not start.`,
    });
    this.sweeper = new DuckStoreFunction(this, 'Sweeper', {
      entry: 'outbox-relay/sweeper-handler.ts',
      serviceName: outboxMetrics.serviceName(props.context),
      // It stops starting pages after 35 s, so a run ends before the next tick. Runs that do overlap (a retried
      // tick) may publish a row twice, which consumers absorb; no reserved concurrency, which small accounts refuse.
      timeout: Duration.seconds(50),
      // The next run redoes whatever a failed run left: retries would only pile up. A failure is parked for the alarm.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(2),
      onFailure: new SqsDestination(this.sweeperDeadLetterQueue.queue),
      environment: {
        TABLE_NAME: props.table.tableName,
        EVENT_BUS_NAME: props.bus.eventBusName,
        CONTEXT_NAME: props.context,
        OUTBOX_SWEEP_BOUND_SECONDS: String(this.sweepBound.toSeconds()),
      },
    });
    props.bus.grantPutEventsTo(this.sweeper);
    // Queries the index, reads the rows it publishes, deletes them: nothing else.
    props.table.grant(this.sweeper, 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem');

    this.sweepRule = new Rule(this, 'SweepSchedule', {
      description: `Publishes ${props.context} outbox rows older than ${this.sweepBound.toSeconds()} s (index ${unpublishedOutboxIndex.indexName})`,
      schedule: Schedule.rate(this.sweepInterval),
    });
    this.sweepRule.addTarget(
      new LambdaFunction(this.sweeper, {
        deadLetterQueue: this.sweeperDeadLetterQueue.queue,
        retryAttempts: 2,
        // A tick older than this is superseded by the next one anyway.
        maxEventAge: Duration.minutes(2),
      }),
    );
  }

  /** The sweeper's metric: age of the oldest unpublished outbox row of this context when a sweep starts (0 when none). */
  metricOldestUnpublishedAge(options: MetricOptions = {}): Metric {
    return new Metric({
      namespace: outboxMetrics.namespace,
      metricName: outboxMetrics.oldestUnpublishedAge,
      dimensionsMap: { service: outboxMetrics.serviceName(this.context), context: this.context },
      statistic: 'Maximum',
      period: this.sweepInterval,
      ...options,
    });
  }
}
