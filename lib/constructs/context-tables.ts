import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { unpublishedOutboxIndex } from '../../functions/contracts/outbox';
import { duckStoreTable } from './duckstore-table';

export interface ContextTablesProps {
  /** Stream the state table for the outbox relay and index its unpublished rows for the sweeper. Off for a context that emits no events. @default true */
  readonly outbox?: boolean;
  /** @default RemovalPolicy.RETAIN: orders and money outlive a stack deletion. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A bounded context's data: its state table (state rows and outbox rows side
 * by side, so one transaction writes both) and its idempotency table. The
 * state table's TTL is for state rows that may lapse (claims, attempts);
 * outbox rows carry none, so an unpublished row never expires.
 */
export class ContextTables extends Construct {
  readonly state: Table;
  readonly idempotency: Table;

  constructor(scope: Construct, id: string, props: ContextTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.state = duckStoreTable(this, 'State', {
      removalPolicy,
      timeToLiveAttribute: 'expiresAt',
      ...(props.outbox === false ? {} : { stream: StreamViewType.NEW_IMAGE }),
    });
    if (props.outbox !== false) {
      // Sparse (only outbox rows carry its key) and sharded: the sweeper's cheap way to the old unpublished rows (contracts/outbox.ts).
      this.state.addGlobalSecondaryIndex({
        indexName: unpublishedOutboxIndex.indexName,
        partitionKey: { name: unpublishedOutboxIndex.partitionKey, type: AttributeType.STRING },
        sortKey: { name: unpublishedOutboxIndex.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.KEYS_ONLY,
      });
    }
    // The key and TTL attribute names are those of the Powertools DynamoDB persistence layer.
    this.idempotency = duckStoreTable(this, 'Idempotency', {
      removalPolicy,
      partitionKeyName: 'id',
      timeToLiveAttribute: 'expiration',
    });
  }
}
