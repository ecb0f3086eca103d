import { optionalWholeNumber, requireEnv } from '#shared/config';
import { dynamoDbLedger } from '../adapters/dynamodb-ledger';
import { defaultDeclineAboveCents } from '../domain/authorization';
import { providerHttpHandler } from './http';

export const handler = providerHttpHandler({
  ledger: dynamoDbLedger(requireEnv('TABLE_NAME')),
  clock: { now: () => new Date() },
  // Zero is allowed: a simulator that declines every charge.
  declineAboveCents: optionalWholeNumber('DECLINE_ABOVE_CENTS', defaultDeclineAboveCents, { unit: 'cents' }),
});
