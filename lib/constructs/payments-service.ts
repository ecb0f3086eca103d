import { Duration } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { stackOutput } from './stack-output';
import { ContextService, sagaDeadlineMarginEnvironment, type ContextServiceProps, type DeadlineAwareProps } from './context-service';

export interface PaymentsServiceProps extends ContextServiceProps, DeadlineAwareProps {
  /** Base URL of the payment provider's API. */
  readonly providerUrl: string;
  /** The merchant secret the provider authenticates us by; only its ARN reaches the consumer's environment, which reads the value. */
  readonly providerSecret: ISecret;
  /** Per-call timeout of the provider client. @default 3 seconds */
  readonly providerTimeout?: Duration;
  /**
   * How long after an attempt a retry under the same Idempotency-Key is still
   * a replay at the provider; past it, payments looks the order up instead.
   * Keep it below the provider's own key retention (Stripe: 24 h).
   * @default 23 hours
   */
  readonly providerKeyRetention?: Duration;
}

/** Payments: authorizes reserved orders with the provider, refunds cancelled ones. */
export class PaymentsService extends ContextService {
  constructor(scope: Construct, id: string, props: PaymentsServiceProps) {
    const providerTimeout = props.providerTimeout ?? Duration.seconds(3);
    super(scope, id, props, {
      context: 'payments',
      consumerEntry: 'payments/handlers/consumer.ts',
      emitsEvents: true,
      consumer: {
        // A record may wait for the provider twice (authorize, then refund on a race) plus its own writes.
        timeout: Duration.seconds(providerTimeout.toSeconds() * 2 + 5),
        environment: {
          PROVIDER_URL: props.providerUrl,
          PROVIDER_SECRET_ARN: props.providerSecret.secretArn,
          PROVIDER_TIMEOUT_MS: String(providerTimeout.toMilliseconds()),
          ...sagaDeadlineMarginEnvironment(props),
          PROVIDER_KEY_RETENTION_SECONDS: String((props.providerKeyRetention ?? Duration.hours(23)).toSeconds()),
        },
      },
    });
    props.providerSecret.grantRead(this.consumer.function);
    // The operator CLI and the e2e suite read the simulator's ledger with the same secret (cli/provider-secret.ts).
    stackOutput(this, 'PaymentProviderSecretArn', props.providerSecret.secretArn);
    // While the provider is down the consumer is paused, not burning receives (docs/resilience.md, "Pause, don't burn").
    this.consumer.pauseOnOutageOf({ dependency: 'payment-provider', ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}) });
  }
}
