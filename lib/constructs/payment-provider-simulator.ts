import { RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { duckStoreTable } from './duckstore-table';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DuckStoreFunction } from './duckstore-function';
import { stackOutput } from './stack-output';

export interface PaymentProviderSimulatorProps {
  /** Authorizations above this amount are declined. @default 100000 (USD 1,000.00) */
  readonly declineAboveCents?: number;
  /** @default RemovalPolicy.DESTROY: the simulator's ledger is test data. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A stand-in for the third-party payment provider, deployed next to payments
 * when no real provider URL is configured: an idempotent authorize/refund API
 * over a ledger table, behind a Lambda function URL.
 */
export class PaymentProviderSimulator extends Construct {
  readonly url: string;
  readonly ledger: Table;
  readonly function: DuckStoreFunction;

  constructor(scope: Construct, id: string, props: PaymentProviderSimulatorProps = {}) {
    super(scope, id);
    this.ledger = duckStoreTable(this, 'Ledger', {
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.function = new DuckStoreFunction(this, 'Function', {
      entry: 'payment-provider/handlers/http-entry.ts',
      serviceName: 'payment-provider-simulator',
      environment: {
        TABLE_NAME: this.ledger.tableName,
        DECLINE_ABOVE_CENTS: String(props.declineAboveCents ?? 100_000),
      },
    });
    this.ledger.grantReadWriteData(this.function);
    // Like a real PSP endpoint, it is reached over HTTPS without AWS credentials; it moves no real money.
    this.url = this.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE }).url;
    stackOutput(this, 'PaymentProviderUrl', this.url);
  }
}
