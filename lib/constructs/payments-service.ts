import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ContextService, type ContextServiceProps } from './context-service';

export interface PaymentsServiceProps extends ContextServiceProps {
  /** Base URL of the payment provider's API. */
  readonly providerUrl: string;
  /** Per-call timeout of the provider client. @default 3 seconds */
  readonly providerTimeout?: Duration;
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
        environment: { PROVIDER_URL: props.providerUrl, PROVIDER_TIMEOUT_MS: String(providerTimeout.toMilliseconds()) },
      },
    });
  }
}
