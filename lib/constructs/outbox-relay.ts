import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { outboxKind } from '../../functions/contracts/outbox';
import { DeadLetterQueue } from './dead-letter-queue';
import { DuckStoreFunction } from './duckstore-function';

export interface OutboxRelayProps {
  /** A state table with a NEW_IMAGE stream. */
  readonly table: ITable;
  readonly bus: IEventBus;
  /** Powertools service name of the relay, e.g. `orders-relay`. */
  readonly serviceName: string;
}

/**
 * Publishes a context's outbox rows from its DynamoDB stream to the region's
 * bus. The stream mapping never lets one bad record block its shard: it
 * bisects failing batches, retries a bounded number of times, gives up on
 * records older than six hours and sends what it gives up on to the DLQ. The
 * row itself stays in the outbox, so nothing is lost: a redrive republishes it.
 */
export class OutboxRelay extends Construct {
  readonly function: DuckStoreFunction;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: `Outbox rows ${props.serviceName} could not publish (rejected by EventBridge, invalid, or retries exhausted).`,
    });
    this.function = new DuckStoreFunction(this, 'Function', {
      entry: 'outbox-relay/handler.ts',
      serviceName: props.serviceName,
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
  }
}
