import * as crypto from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '#shared/powertools';
import { cachedSecret } from '#shared/secret';
import { secretsManagerMerchantSecrets } from '../../../functions/payment-provider/adapters/secrets-manager-merchant-secrets';
import { authenticateMerchant, bearerTokenOf, secretMatches } from '../../../functions/payment-provider/domain/merchant-auth';
import { providerHttpHandler } from '../../../functions/payment-provider/handlers/http';
import { InMemoryParameterProvider } from '../../helpers/memory-parameters';
import { fixedMerchantSecrets, functionUrlEvent, merchantAuthorization, providerPorts, readResult, testMerchantSecret } from '../../helpers/provider-fakes';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

logger.setLogLevel('SILENT');

const context = { functionName: 'payment-provider' } as Context;
const order = { orderId: 'order-1', amountCents: 1798, currency: 'USD' };
const secretId = 'arn:aws:secretsmanager:us-west-2:000000000000:secret:merchant-AbCdEf';

function authorizationRequest(authorization?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': 'order-1', ...(authorization === undefined ? {} : { authorization }) };
  return functionUrlEvent({ method: 'POST', path: '/v1/authorizations', headers, body: order });
}

afterEach(() => {
  vi.mocked(crypto.timingSafeEqual).mockClear();
});

describe('the simulator authenticates the merchant', () => {
  it('refuses a request without Authorization with 401 problem+json and a Bearer challenge, and charges nothing', async () => {
    const ports = providerPorts();
    const counted: string[] = [];
    const handler = providerHttpHandler({ ...ports, calls: { record: async (operation) => void counted.push(operation) }, merchantSecrets: fixedMerchantSecrets() });

    const result = readResult(await handler(authorizationRequest(), context));

    expect(result.status).toBe(401);
    expect(result.headers['content-type']).toBe('application/problem+json');
    expect(result.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(result.body).toMatchObject({ type: 'https://duckstore.dev/problems/provider/credential-missing', status: 401 });
    expect(ports.ledger.rows.size).toBe(0);
    expect(counted).toEqual([]);
  });

  it('refuses a wrong secret with 401 and never echoes it', async () => {
    const ports = providerPorts();
    const handler = providerHttpHandler({ ...ports, merchantSecrets: fixedMerchantSecrets() });

    const result = readResult(await handler(authorizationRequest('Bearer not-the-secret'), context));

    expect(result.status).toBe(401);
    expect(result.body.type).toBe('https://duckstore.dev/problems/provider/credential-invalid');
    expect(JSON.stringify(result)).not.toContain('not-the-secret');
    expect(ports.ledger.rows.size).toBe(0);
  });

  it('refuses the ledger listing without the secret, and lists it with', async () => {
    const ports = providerPorts();
    const handler = providerHttpHandler({ ...ports, merchantSecrets: fixedMerchantSecrets() });
    const ledger = (headers: Record<string, string> = {}) => functionUrlEvent({ method: 'GET', path: '/v1/ledger', headers, query: { orderId: 'order-1' } });

    expect(readResult(await handler(ledger(), context)).status).toBe(401);
    expect(readResult(await handler(ledger(merchantAuthorization), context)).status).toBe(200);
  });

  it('serves a request with the right secret', async () => {
    const ports = providerPorts();
    const handler = providerHttpHandler({ ...ports, merchantSecrets: fixedMerchantSecrets() });

    const result = readResult(await handler(authorizationRequest(`Bearer ${testMerchantSecret}`), context));

    expect(result.status).toBe(201);
  });

  it('accepts the second secret of a rotation (AWSPENDING) as well as the current one', async () => {
    const secrets = fixedMerchantSecrets('current-secret', 'pending-secret');

    expect(await authenticateMerchant('Bearer current-secret', secrets)).toBe('valid');
    expect(await authenticateMerchant('Bearer pending-secret', secrets)).toBe('valid');
    expect(await authenticateMerchant('Bearer previous-secret', secrets)).toBe('invalid');
  });

  it('takes only the Bearer scheme', () => {
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('bearer abc')).toBe('abc');
    expect(bearerTokenOf('Basic abc')).toBeUndefined();
    expect(bearerTokenOf('Bearer')).toBeUndefined();
    expect(bearerTokenOf('Bearer a b')).toBeUndefined();
    expect(bearerTokenOf(undefined)).toBeUndefined();
  });

  it('compares in constant time: timingSafeEqual over equal-length digests, against every accepted secret', () => {
    const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

    expect(secretMatches('short', ['first-secret', 'a-much-longer-second-secret-value'])).toBe(false);
    expect(secretMatches('first-secret', ['first-secret', 'a-much-longer-second-secret-value'])).toBe(true);

    // Two comparisons per call, a match or not: no early exit on the first match.
    expect(timingSafeEqual).toHaveBeenCalledTimes(4);
    for (const [left, right] of timingSafeEqual.mock.calls) {
      expect((left as Buffer).length).toBe(32);
      expect((right as Buffer).length).toBe(32);
    }
  });
});

describe('the simulator reads its secrets from Secrets Manager through Powertools Parameters', () => {
  it('accepts AWSCURRENT, and AWSPENDING once it is put, without a redeploy', async () => {
    const provider = new InMemoryParameterProvider();
    let now = 0;
    const secrets = secretsManagerMerchantSecrets(secretId, {
      current: cachedSecret(secretId, { provider, maxAgeSeconds: 30, now: () => now }),
      pending: cachedSecret(secretId, { provider: new InMemoryParameterProvider(provider.values), maxAgeSeconds: 30, versionStage: 'AWSPENDING', now: () => now }),
      now: () => now,
    });
    provider.set(secretId, 'old-secret');

    expect(await authenticateMerchant('Bearer old-secret', secrets)).toBe('valid');
    provider.set(secretId, 'new-secret', 'AWSPENDING');
    now += 6_000;

    expect(await authenticateMerchant('Bearer new-secret', secrets)).toBe('valid');
    expect(await authenticateMerchant('Bearer old-secret', secrets)).toBe('valid');
  });

  it('reads the store for a wrong secret at most once per interval, and remembers an absent AWSPENDING', async () => {
    const provider = new InMemoryParameterProvider();
    const pending = new InMemoryParameterProvider(provider.values);
    const now = 0;
    const secrets = secretsManagerMerchantSecrets(secretId, {
      current: cachedSecret(secretId, { provider, maxAgeSeconds: 30, now: () => now }),
      pending: cachedSecret(secretId, { provider: pending, maxAgeSeconds: 30, versionStage: 'AWSPENDING', now: () => now }),
      minRefreshIntervalMs: 5_000,
      now: () => now,
    });
    provider.set(secretId, 'the-secret');

    for (let attempt = 0; attempt < 10; attempt++) expect(await authenticateMerchant('Bearer guessed', secrets)).toBe('invalid');

    // The first request reads both stages, its refresh reads them again; the other nine are answered from the cache.
    expect(provider.reads.filter((read) => read.endsWith('@AWSCURRENT'))).toHaveLength(2);
    expect(pending.reads.filter((read) => read.endsWith('@AWSPENDING'))).toHaveLength(2);
  });
});
