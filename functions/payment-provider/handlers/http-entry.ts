import { optionalWholeNumber, requireEnv } from '#shared/config';
import { currentControls } from '#shared/controls';
import { dynamoDbCallCounter } from '../adapters/dynamodb-call-counter';
import { dynamoDbLedger } from '../adapters/dynamodb-ledger';
import { secretsManagerMerchantSecrets } from '../adapters/secrets-manager-merchant-secrets';
import { defaultDeclineAboveCents, defaultKeyRetentionSeconds } from '../domain/authorization';
import { providerHttpHandler } from './http';

export const handler = providerHttpHandler({
  ledger: dynamoDbLedger(requireEnv('TABLE_NAME')),
  calls: dynamoDbCallCounter(requireEnv('TABLE_NAME')),
  clock: { now: () => new Date() },
  // Only the secret's ARN is in the environment: the values are read from Secrets Manager (AWSCURRENT and, mid-rotation, AWSPENDING).
  merchantSecrets: secretsManagerMerchantSecrets(requireEnv('MERCHANT_SECRET_ARN')),
  // The operator's fault settings; a provider answers within its own cache of about a second. None without fault injection deployed.
  faults: async () => (await currentControls({ maxAgeMs: 1_000 })).provider ?? {},
  // Zero is allowed: a simulator that declines every charge.
  declineAboveCents: optionalWholeNumber('DECLINE_ABOVE_CENTS', defaultDeclineAboveCents, { unit: 'cents' }),
  keyRetentionSeconds: optionalWholeNumber('KEY_RETENTION_SECONDS', defaultKeyRetentionSeconds, { unit: 'seconds', positive: true }),
});
