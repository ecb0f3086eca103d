import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export interface DuckStoreTableProps extends Omit<TableProps, 'partitionKey' | 'billingMode' | 'encryption' | 'pointInTimeRecoverySpecification'> {
  /** @default 'pk' */
  readonly partitionKeyName?: string;
}

/**
 * The one way a DuckStore table is made: a string partition key, on-demand
 * billing (pay per order, nothing idle), AWS-managed encryption and
 * point-in-time recovery (cdk-nag DDB3; the way back from a bad write).
 * Retained on stack deletion unless the caller says otherwise.
 */
export function duckStoreTable(scope: Construct, id: string, props: DuckStoreTableProps = {}): Table {
  const { partitionKeyName = 'pk', removalPolicy = RemovalPolicy.RETAIN, ...rest } = props;
  return new Table(scope, id, {
    ...rest,
    partitionKey: { name: partitionKeyName, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy,
  });
}
