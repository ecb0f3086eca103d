import { optionalEnv, requireEnv } from '#shared/config';
import { dynamoDbLedger } from '../adapters/dynamodb-ledger';
import { defaultDeclineAboveCents } from '../domain/authorization';
import { providerHttpHandler } from './http';

function declineAboveCents(): number {
  const raw = optionalEnv('DECLINE_ABOVE_CENTS', String(defaultDeclineAboveCents));
  const cents = Number(raw);
  if (!Number.isSafeInteger(cents) || cents < 0) throw new Error(`environment variable DECLINE_ABOVE_CENTS must be a whole number of cents (got "${raw}")`);
  return cents;
}

export const handler = providerHttpHandler({
  ledger: dynamoDbLedger(requireEnv('TABLE_NAME')),
  clock: { now: () => new Date() },
  declineAboveCents: declineAboveCents(),
});
