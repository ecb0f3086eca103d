import { Arn, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunctionResource } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { pendingOrdersIndex } from '../../functions/contracts/pending-orders-index';
import { deadlineArmingSubscription } from '../../functions/contracts/subscriptions';
import { DeadLetterQueue } from './dead-letter-queue';
import { DuckStoreFunction } from './duckstore-function';
import { acknowledgeWildcardResource } from './nag';
import { EventConsumer } from './event-consumer';

export interface OrderDeadlinesProps {
  readonly bus: IEventBus;
  /** The orders table: its order rows carry the deadline and the pending-orders index key. */
  readonly table: ITable;
  /** The orders context's idempotency table (the arming consumer keeps its records there, under its own prefix). */
  readonly idempotencyTable: ITable;
  /** Where a timer delivers OrderTimedOut: the orders consumer's queue. */
  readonly timerTarget: IQueue;
  /** Where EventBridge Scheduler puts a timer's event it could not deliver: that consumer's DLQ. */
  readonly timerDeadLetterQueue: IQueue;
  /** How long past its deadline a PENDING order waits for its own timer before the sweep cancels it. @default 1 minute */
  readonly sweepGrace?: Duration;
  /** Orders the sweep handles per run at most (once a minute); a larger backlog takes several runs. @default 100 */
  readonly sweepLimit?: number;
  /** Reserve concurrency 1 for the sweep, so runs never overlap (they are harmless if they do: a cancelled order is not cancelled again). @default false */
  readonly reserveSweeperConcurrency?: boolean;
}

/**
 * The orders context's saga deadline, in two lines of defence.
 *
 * 1. A timer per order: the arming consumer reads each committed OrderPlaced
 *    and creates a one-time EventBridge Scheduler schedule (named after the
 *    order, in this construct's schedule group) that sends the order's
 *    OrderTimedOut straight to the orders consumer's queue at the deadline.
 *    The orders consumer clears it when the order turns terminal.
 * 2. A sweep once a minute: a function that reads the sparse index of
 *    PENDING orders by deadline and cancels those past deadline + grace
 *    through the same use case, with the same OrderTimedOut, in case a timer
 *    was never set, failed or got lost.
 */
export class OrderDeadlines extends Construct {
  readonly scheduleGroup: ScheduleGroup;
  /** The role EventBridge Scheduler assumes to deliver a timer: it may send to the target queue and its DLQ, nothing else. */
  readonly schedulerRole: Role;
  readonly arming: EventConsumer;
  readonly sweeper: DuckStoreFunction;
  readonly sweeperDeadLetterQueue: DeadLetterQueue;
  readonly sweepRule: Rule;

  constructor(scope: Construct, id: string, props: OrderDeadlinesProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Timers are worthless without the consumer they feed: they go with the stack.
    this.scheduleGroup = new ScheduleGroup(this, 'Timers', { removalPolicy: RemovalPolicy.DESTROY });
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler delivers order deadline timers to the orders consumer queue',
      // Only schedules of this group, in this account, may use the role (confused-deputy protection).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.scheduleGroup.scheduleGroupArn },
        },
      }),
    });
    props.timerTarget.grant(this.schedulerRole, 'sqs:SendMessage');
    props.timerDeadLetterQueue.grant(this.schedulerRole, 'sqs:SendMessage');

    this.arming = new EventConsumer(this, 'Arming', {
      bus: props.bus,
      contracts: deadlineArmingSubscription,
      // A bulkhead: a throttled Scheduler API slows only this consumer, never the saga's outcomes.
      maxConcurrency: 2,
      function: {
        entry: 'orders/handlers/deadline-arming.ts',
        serviceName: 'orders-deadlines',
        environment: {
          TABLE_NAME: props.table.tableName,
          IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
          SCHEDULE_GROUP_NAME: this.scheduleGroup.scheduleGroupName,
          SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
          TIMER_TARGET_QUEUE_ARN: props.timerTarget.queueArn,
          TIMER_DEAD_LETTER_QUEUE_ARN: props.timerDeadLetterQueue.queueArn,
        },
      },
    });
    props.table.grantReadData(this.arming.function);
    props.idempotencyTable.grantReadWriteData(this.arming.function);
    this.scheduleGroup.grantWriteSchedules(this.arming.function);
    this.schedulerRole.grantPassRole(this.arming.function.grantPrincipal);
    this.acknowledgeScheduleWildcard(this.arming.function);

    this.sweeperDeadLetterQueue = new DeadLetterQueue(this, 'SweeperDeadLetters', {
      purpose: 'Deadline sweeps that failed (an overdue order could not be cancelled) or that EventBridge could not start.',
    });
    this.sweeper = new DuckStoreFunction(this, 'Sweeper', {
      entry: 'orders/handlers/deadline-sweeper.ts',
      serviceName: 'orders-deadlines',
      // Done before the next tick. Reserved, one instance at most and runs never overlap; the reservation is a setting,
      // since an account on the new-account quota refuses any (docs/operations.md).
      timeout: Duration.seconds(50),
      ...(props.reserveSweeperConcurrency ? { reservedConcurrentExecutions: 1 } : {}),
      // The next run (a minute later) redoes whatever a failed run left: retries would only pile up. A failure is parked for the alarm.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(2),
      onFailure: new SqsDestination(this.sweeperDeadLetterQueue.queue),
      environment: {
        TABLE_NAME: props.table.tableName,
        SCHEDULE_GROUP_NAME: this.scheduleGroup.scheduleGroupName,
        SWEEP_GRACE_SECONDS: String((props.sweepGrace ?? Duration.minutes(1)).toSeconds()),
        SWEEP_LIMIT: String(props.sweepLimit ?? 100),
      },
    });
    // Reads the index, moves orders and writes their outbox rows, like the orders consumer.
    props.table.grantReadWriteData(this.sweeper);
    this.grantClearTimers(this.sweeper);

    this.sweepRule = new Rule(this, 'SweepEveryMinute', {
      description: `Cancels PENDING orders past their saga deadline (index ${pendingOrdersIndex.indexName})`,
      schedule: Schedule.rate(Duration.minutes(1)),
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

  /** Lets a function delete timers (when an order turns terminal), and tells it the schedule group. */
  grantClearTimers(fn: LambdaFunctionResource): void {
    this.scheduleGroup.grantDeleteSchedules(fn);
    fn.addEnvironment('SCHEDULE_GROUP_NAME', this.scheduleGroup.scheduleGroupName);
    this.acknowledgeScheduleWildcard(fn);
  }

  private acknowledgeScheduleWildcard(fn: LambdaFunctionResource): void {
    acknowledgeWildcardResource(
      fn.role!,
      // As ScheduleGroup's grant writes it: the partition as a pseudo parameter.
      Arn.format({ partition: Aws.PARTITION, service: 'scheduler', resource: 'schedule', resourceName: `${this.scheduleGroup.scheduleGroupName}/*` }, Stack.of(this)),
      'A timer is a schedule named after its order, which is unknown at deploy time; the grant covers the schedules of this one schedule group only.',
    );
  }
}
