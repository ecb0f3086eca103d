import { Duration, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { ContextName } from '../../functions/contracts/envelope';
import { subscriptions } from '../../functions/contracts/subscriptions';
import { ContextTables } from './context-tables';
import type { DuckStoreFunctionProps } from './duckstore-function';
import { EventConsumer } from './event-consumer';
import { OutboxRelay } from './outbox-relay';

/** The margin participants keep before the saga deadline (functions/shared/saga-deadline.ts explains the 10 s). */
export const defaultSagaDeadlineMargin = Duration.seconds(10);

/** A saga participant that starts side effects (inventory, payments). */
export interface DeadlineAwareProps {
  /**
   * Nothing is started for an order past its saga deadline minus this
   * (docs/resilience.md, "Deadline-aware participants"): more than the
   * provider's longest time to act on a request plus the clock skew.
   * @default 10 seconds
   */
  readonly sagaDeadlineMargin?: Duration;
}

/** The consumer environment that tells a participant its margin (read by functions/shared/saga-deadline.ts). */
export const sagaDeadlineMarginEnvironment = (props: DeadlineAwareProps): Record<string, string> => ({
  SAGA_DEADLINE_MARGIN_MS: String((props.sagaDeadlineMargin ?? defaultSagaDeadlineMargin).toMilliseconds()),
});

export interface ContextServiceProps {
  readonly bus: IEventBus;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** How old an unpublished outbox row must be before the outbox sweeper publishes it. @default 120 seconds */
  readonly outboxSweepBound?: Duration;
}

export interface ContextServiceSpec {
  readonly context: ContextName;
  /** Handler of the context's event consumer, relative to `functions/`. */
  readonly consumerEntry: string;
  /** Whether the context emits events (and so needs an outbox relay). */
  readonly emitsEvents: boolean;
  /** Extra settings for the consumer function (environment is merged). */
  readonly consumer?: Partial<Omit<DuckStoreFunctionProps, 'entry' | 'serviceName'>>;
}

/**
 * What every bounded context has: its tables, one consumer of the events it
 * subscribes to (rule pattern from the contracts), and, if it emits events,
 * the outbox relay on its table's stream and the outbox sweeper behind it.
 */
export class ContextService extends Construct {
  readonly tables: ContextTables;
  readonly consumer: EventConsumer;
  readonly relay?: OutboxRelay;

  constructor(scope: Construct, id: string, props: ContextServiceProps, spec: ContextServiceSpec) {
    super(scope, id);
    this.tables = new ContextTables(this, 'Tables', {
      outbox: spec.emitsEvents,
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
    });
    this.consumer = new EventConsumer(this, 'Consumer', {
      bus: props.bus,
      contracts: subscriptions[spec.context],
      function: {
        ...spec.consumer,
        entry: spec.consumerEntry,
        serviceName: spec.context,
        environment: {
          TABLE_NAME: this.tables.state.tableName,
          IDEMPOTENCY_TABLE_NAME: this.tables.idempotency.tableName,
          ...spec.consumer?.environment,
        },
      },
    });
    this.tables.state.grantReadWriteData(this.consumer.function);
    this.tables.idempotency.grantReadWriteData(this.consumer.function);
    if (spec.emitsEvents) {
      this.relay = new OutboxRelay(this, 'Relay', {
        table: this.tables.state,
        bus: props.bus,
        context: spec.context,
        ...(props.outboxSweepBound ? { sweepBound: props.outboxSweepBound } : {}),
      });
      // Every function granted on the table (consumer, relay, sweeper, and the context's own) gets its indexes too.
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.tables.state.node.defaultChild as CfnTable)}.Arn>/index/*]`,
        reason: "Table grants include the table's indexes (<table>/index/*): the unpublished-outbox index the outbox sweeper queries, and on the orders table also the pending-orders index of the deadline sweep and load shedding.",
      });
    }
  }
}
