import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
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
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
