import { RemovalPolicy } from 'aws-cdk-lib';
import { StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { duckStoreTable } from './duckstore-table';

export interface ContextTablesProps {
  /** Stream the state table for the outbox relay. Off for a context that emits no events. @default true */
  readonly outbox?: boolean;
  /** @default RemovalPolicy.RETAIN: orders and money outlive a stack deletion. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A bounded context's data: its state table (state rows and outbox rows side
 * by side, so one transaction writes both) and its idempotency table.
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
    // The key and TTL attribute names are those of the Powertools DynamoDB persistence layer.
    this.idempotency = duckStoreTable(this, 'Idempotency', {
      removalPolicy,
      partitionKeyName: 'id',
      timeToLiveAttribute: 'expiration',
    });
  }
}
