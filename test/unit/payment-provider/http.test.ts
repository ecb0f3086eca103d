import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handleProviderRequest, providerHttpHandler } from '../../../functions/payment-provider/handlers/http';
import { logger } from '#shared/powertools';
import { fixedMerchantSecrets, functionUrlEvent, merchantAuthorization, providerPorts, readResult } from '../../helpers/provider-fakes';

// The handler logs every decision; the assertions here are about the answers.
logger.setLogLevel('SILENT');

const order = { orderId: 'order-1', amountCents: 1798, currency: 'USD', customerId: 'customer-42' };
const jsonHeaders = (key = 'order-1') => ({ 'content-type': 'application/json', 'idempotency-key': key });

const postAuthorization = (body: unknown, headers: Record<string, string> = jsonHeaders(), path = '/v1/authorizations') =>
  functionUrlEvent({ method: 'POST', path, headers, body });

async function authorized(ports = providerPorts()): Promise<{ ports: ReturnType<typeof providerPorts>; authorizationId: string }> {
  const { body } = readResult(await handleProviderRequest(postAuthorization(order), ports));
  return { ports, authorizationId: body.authorizationId as string };
}

describe('POST /v1/authorizations', () => {
  it('answers 201 with the authorization id when the amount is within the limit', async () => {
    const ports = providerPorts();

    const result = readResult(await handleProviderRequest(postAuthorization(order), ports));

    expect(result.status).toBe(201);
    expect(result.body).toEqual({ authorizationId: 'auth_00000000-0000-4000-8000-000000000001', status: 'AUTHORIZED' });
    expect(result.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers 200 DECLINED with the reason above the limit', async () => {
    const result = readResult(await handleProviderRequest(postAuthorization({ ...order, amountCents: 250_000 }), providerPorts()));

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'DECLINED', reason: 'LIMIT_EXCEEDED' });
  });

  it('replays the first answer for the same key and body, marked as a replay, with one ledger row', async () => {
    const ports = providerPorts();
    const first = readResult(await handleProviderRequest(postAuthorization(order), ports));

    const retry = readResult(await handleProviderRequest(postAuthorization(order), ports));

    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(ports.ledger.rows.size).toBe(1);
  });

  it('answers 409 when the key is reused with another amount', async () => {
    const ports = providerPorts();
    await handleProviderRequest(postAuthorization(order), ports);

    const result = readResult(await handleProviderRequest(postAuthorization({ ...order, amountCents: 1 }), ports));

    expect(result.status).toBe(409);
    expect(result.body.type).toBe('https://duckstore.dev/problems/provider/idempotency-key-reused');
  });

  it('accepts a base64-encoded body, as Function URLs may deliver it', async () => {
    const event = functionUrlEvent({ method: 'POST', path: '/v1/authorizations', headers: jsonHeaders(), body: order, base64: true });

    const result = readResult(await handleProviderRequest(event, providerPorts()));

    expect(result.status).toBe(201);
  });

  it('routes behind a path prefix and with a trailing slash', async () => {
    const result = readResult(await handleProviderRequest(postAuthorization(order, jsonHeaders(), '/simulator/v1/authorizations/'), providerPorts()));

    expect(result.status).toBe(201);
  });

  it.each([
    ['no Idempotency-Key', { 'content-type': 'application/json' }, order, 400, 'invalid-idempotency-key'],
    ['an Idempotency-Key with a space', jsonHeaders('two words'), order, 400, 'invalid-idempotency-key'],
    ['an Idempotency-Key over 255 characters', jsonHeaders('k'.repeat(256)), order, 400, 'invalid-idempotency-key'],
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'k' }, 'a=1', 415, 'unsupported-media-type'],
    ['no content type', { 'idempotency-key': 'k' }, order, 415, 'unsupported-media-type'],
    ['malformed JSON', jsonHeaders(), '{"orderId":', 400, 'malformed-json'],
    ['a body over 8 KB', jsonHeaders(), { ...order, customerId: 'x'.repeat(9000) }, 413, 'body-too-large'],
    ['no order id', jsonHeaders(), { amountCents: 1, currency: 'USD' }, 400, 'invalid-request'],
    ['a currency other than USD', jsonHeaders(), { ...order, currency: 'EUR' }, 400, 'invalid-request'],
    ['a fractional amount', jsonHeaders(), { ...order, amountCents: 17.5 }, 400, 'invalid-request'],
    ['a zero amount', jsonHeaders(), { ...order, amountCents: 0 }, 400, 'invalid-request'],
    ['an amount given as a string', jsonHeaders(), { ...order, amountCents: '1798' }, 400, 'invalid-request'],
    ['an unknown field', jsonHeaders(), { ...order, tip: 100 }, 400, 'invalid-request'],
    ['a JSON array', jsonHeaders(), [order], 400, 'invalid-request'],
  ])('answers a request with %s with %i %s and writes nothing', async (_case, headers, body, status, type) => {
    const ports = providerPorts();

    const result = readResult(await handleProviderRequest(postAuthorization(body, headers), ports));

    expect(result.status).toBe(status);
    expect(result.headers['content-type']).toBe('application/problem+json');
    expect(result.body).toMatchObject({ type: `https://duckstore.dev/problems/provider/${type}`, status });
    expect(ports.ledger.rows.size).toBe(0);
  });

  it('names the offending fields of an invalid request', async () => {
    const result = readResult(await handleProviderRequest(postAuthorization({ ...order, currency: 'EUR', amountCents: -1 }), providerPorts()));

    expect((result.body.errors as { path: string }[]).map((error) => error.path).sort()).toEqual(['amountCents', 'currency']);
  });
});

describe('POST /v1/authorizations/{id}/refund', () => {
  const refundEvent = (authorizationId: string, headers: Record<string, string> = { 'idempotency-key': 'refund-order-1' }) =>
    functionUrlEvent({ method: 'POST', path: `/v1/authorizations/${authorizationId}/refund`, headers });

  it('refunds an authorization and answers a second refund the same way', async () => {
    const { ports, authorizationId } = await authorized();

    const first = readResult(await handleProviderRequest(refundEvent(authorizationId), ports));
    const second = readResult(await handleProviderRequest(refundEvent(authorizationId), ports));

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ authorizationId, status: 'REFUNDED', refundedAt: '2026-11-20T10:00:01.000Z' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
  });

  it('answers 404 for an unknown authorization', async () => {
    const result = readResult(await handleProviderRequest(refundEvent('auth_unknown'), providerPorts()));

    expect(result.status).toBe(404);
    expect(result.body.type).toBe('https://duckstore.dev/problems/provider/authorization-not-found');
  });

  it('answers 409 for a declined authorization', async () => {
    const ports = providerPorts({ declineAboveCents: 0 });
    const { authorizationId } = await authorized(ports);

    const result = readResult(await handleProviderRequest(refundEvent(authorizationId), ports));

    expect(result.status).toBe(409);
    expect(result.body.type).toBe('https://duckstore.dev/problems/provider/not-refundable');
  });

  it('answers 400 without an Idempotency-Key and leaves the authorization as it was', async () => {
    const { ports, authorizationId } = await authorized();

    const result = readResult(await handleProviderRequest(refundEvent(authorizationId, {}), ports));

    expect(result.status).toBe(400);
    expect(ports.ledger.rows.get('order-1')?.status).toBe('AUTHORIZED');
  });

  it.each([['auth%2F..'], ['auth%ZZ'], ['auth.1']])('answers 400 for the malformed authorization id %s', async (authorizationId) => {
    const result = readResult(await handleProviderRequest(refundEvent(authorizationId), providerPorts()));

    expect(result.status).toBe(400);
    expect(result.body.type).toBe('https://duckstore.dev/problems/provider/invalid-authorization-id');
  });
});

describe('GET /v1/authorizations/{id}', () => {
  it('answers with the ledger row', async () => {
    const { ports, authorizationId } = await authorized();

    const result = readResult(await handleProviderRequest(functionUrlEvent({ method: 'GET', path: `/v1/authorizations/${authorizationId}` }), ports));

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ kind: 'authorization', authorizationId, orderId: 'order-1', amountCents: 1798, status: 'AUTHORIZED', idempotencyKey: 'order-1' });
  });

  it('answers 404 for an unknown authorization', async () => {
    const result = readResult(await handleProviderRequest(functionUrlEvent({ method: 'GET', path: '/v1/authorizations/auth_unknown' }), providerPorts()));

    expect(result.status).toBe(404);
  });
});

describe('GET /v1/ledger', () => {
  const ledgerEvent = (query: Record<string, string>) => functionUrlEvent({ method: 'GET', path: '/v1/ledger', query });

  it("pages through an order's rows with the cursor", async () => {
    const ports = providerPorts();
    for (const key of ['key-a', 'key-b', 'key-c']) await handleProviderRequest(postAuthorization(order, jsonHeaders(key)), ports);
    await handleProviderRequest(postAuthorization({ ...order, orderId: 'order-2' }, jsonHeaders('key-d')), ports);

    const first = readResult(await handleProviderRequest(ledgerEvent({ orderId: 'order-1', limit: '2' }), ports));
    const second = readResult(await handleProviderRequest(ledgerEvent({ orderId: 'order-1', limit: '2', cursor: first.body.nextCursor as string }), ports));

    const keys = (page: typeof first) => (page.body.items as { idempotencyKey: string }[]).map((row) => row.idempotencyKey);
    expect(keys(first)).toEqual(['key-a', 'key-b']);
    expect(keys(second)).toEqual(['key-c']);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it.each([
    ['no order id', {}, 'invalid-query'],
    ['a limit of 0', { orderId: 'order-1', limit: '0' }, 'invalid-query'],
    ['a limit of 101', { orderId: 'order-1', limit: '101' }, 'invalid-query'],
    ['a limit that is not a number', { orderId: 'order-1', limit: 'ten' }, 'invalid-query'],
    ['a cursor the ledger did not issue', { orderId: 'order-1', cursor: 'forged' }, 'invalid-cursor'],
  ])('answers 400 %s for a query with %s', async (_case, query, type) => {
    const result = readResult(await handleProviderRequest(ledgerEvent(query), providerPorts()));

    expect(result.status).toBe(400);
    expect(result.body.type).toBe(`https://duckstore.dev/problems/provider/${type}`);
  });
});

describe('GET /v1/authorizations?orderId= (the merchant\'s search by its own reference)', () => {
  it('finds what the provider recorded for an order, whichever key it came under, and nothing for another', async () => {
    const ports = providerPorts();
    await handleProviderRequest(postAuthorization(order, jsonHeaders('key-a')), ports);

    const found = readResult(await handleProviderRequest(functionUrlEvent({ method: 'GET', path: '/v1/authorizations', query: { orderId: 'order-1' } }), ports));
    const none = readResult(await handleProviderRequest(functionUrlEvent({ method: 'GET', path: '/v1/authorizations', query: { orderId: 'order-9' } }), ports));

    expect(found.status).toBe(200);
    expect(found.body.items).toEqual([expect.objectContaining({ orderId: 'order-1', status: 'AUTHORIZED', idempotencyKey: 'key-a' })]);
    expect(none.body.items).toEqual([]);
  });

  it('answers 400 without an order id', async () => {
    const result = readResult(await handleProviderRequest(functionUrlEvent({ method: 'GET', path: '/v1/authorizations' }), providerPorts()));

    expect(result.status).toBe(400);
    expect(result.body.type).toBe('https://duckstore.dev/problems/provider/invalid-query');
  });
});

describe('routing', () => {
  it.each([
    ['DELETE', '/v1/authorizations'],
    ['DELETE', '/v1/authorizations/auth_1'],
    ['GET', '/v1/authorizations/auth_1/refund'],
    ['POST', '/v1/ledger'],
  ])('answers 405 to %s %s', async (method, path) => {
    const result = readResult(await handleProviderRequest(functionUrlEvent({ method, path }), providerPorts()));

    expect(result.status).toBe(405);
  });

  it('answers 404 to an unknown path', async () => {
    const result = readResult(await handleProviderRequest(functionUrlEvent({ method: 'GET', path: '/v2/charges' }), providerPorts()));

    expect(result.status).toBe(404);
    expect(result.body.type).toBe('https://duckstore.dev/problems/provider/no-such-route');
  });

  it('answers 500 without internals when the ledger fails, so the merchant retries', async () => {
    const ports = providerPorts();
    ports.ledger.get = async () => {
      throw new Error('ProvisionedThroughputExceededException: secret table details');
    };
    const handler = providerHttpHandler({ ...ports, merchantSecrets: fixedMerchantSecrets() });

    const result = readResult(await handler(postAuthorization(order, { ...jsonHeaders(), ...merchantAuthorization }), { functionName: 'payment-provider' } as Context));

    expect(result.status).toBe(500);
    expect(JSON.stringify(result.body)).not.toContain('secret');
  });
});
