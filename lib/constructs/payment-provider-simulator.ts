import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { duckStoreTable } from './duckstore-table';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
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
 * over a ledger table, behind a Lambda function URL. Like a PSP it
 * authenticates the merchant: every request must carry the merchant secret
 * (`Authorization: Bearer`), which the stack generates in Secrets Manager.
 */
export class PaymentProviderSimulator extends Construct {
  readonly url: string;
  readonly ledger: Table;
  readonly function: DuckStoreFunction;
  /** The merchant secret the simulator accepts (and, mid-rotation, its AWSPENDING stage); read by the simulator and whoever is granted it. */
  readonly merchantSecret: Secret;

  constructor(scope: Construct, id: string, props: PaymentProviderSimulatorProps = {}) {
    super(scope, id);
    this.ledger = duckStoreTable(this, 'Ledger', {
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.merchantSecret = new Secret(this, 'MerchantSecret', {
      description: 'DuckStore payment provider simulator: the merchant secret (Bearer token); rotation: runbooks/provider-secret-rotation.md',
      // Letters and digits only: the value travels in a header and in shell commands of the runbook.
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    Validations.of(this.merchantSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotated by the operator, not on a schedule: the two-stage procedure (AWSPENDING accepted, then promoted) is runbooks/provider-secret-rotation.md; with a real PSP the new key is issued by the PSP, which Secrets Manager cannot do.',
    });
    this.function = new DuckStoreFunction(this, 'Function', {
      entry: 'payment-provider/handlers/http-entry.ts',
      serviceName: 'payment-provider-simulator',
      environment: {
        TABLE_NAME: this.ledger.tableName,
        DECLINE_ABOVE_CENTS: String(props.declineAboveCents ?? 100_000),
        // The ARN only: the function reads the value itself, so it is in no environment variable and no template.
        MERCHANT_SECRET_ARN: this.merchantSecret.secretArn,
      },
    });
    this.ledger.grantReadWriteData(this.function);
    this.merchantSecret.grantRead(this.function);
    // Like a real PSP endpoint, it is reached over HTTPS without AWS credentials, and the function itself refuses any
    // request without the merchant secret (401); it moves no real money.
    this.url = this.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE }).url;
    stackOutput(this, 'PaymentProviderUrl', this.url);
  }
}
