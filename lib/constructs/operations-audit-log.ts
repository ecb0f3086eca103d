import { RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { duckStoreTable } from './duckstore-table';
import { Construct } from 'constructs';

export interface OperationsAuditLogProps {
  /** @default RemovalPolicy.RETAIN: the record of who moved what outlives the stack. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The region's audit trail of operator actions that move data: every DLQ
 * redrive, archive replay and drill writes one item (who, what, when, how
 * many; cli/operations-audit.ts). Its own table rather than a context's state
 * table: the invariant auditor reads those as domain data, and an operator
 * record belongs to no bounded context.
 */
export class OperationsAuditLog extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: OperationsAuditLogProps = {}) {
    super(scope, id);
    this.table = duckStoreTable(this, 'Table', { ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}) });
  }
}
