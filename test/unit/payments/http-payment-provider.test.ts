import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpPaymentProvider } from '../../../functions/payments/adapters/http-payment-provider';
import { ProviderRejectedError, ProviderUnavailableError } from '../../../functions/payments/domain/ports';

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

type Responder = (request: ReceivedRequest, response: ServerResponse) => void;

const orderId = '0b7f2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const amount = { amountCents: 1798, currency: 'USD' as const };

let server: Server;
let baseUrl: string;
let respond: Responder;
const received: ReceivedRequest[] = [];

const answer = (status: number, body?: unknown, contentType = 'application/json'): Responder => (_request, response) => {
  response.writeHead(status, { 'content-type': contentType });
  response.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
      received.push(entry);
      respond(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  // Requests a test left hanging (the timeout cases) must not keep the server open.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
  respond = answer(500);
});

const provider = (timeoutMs = 1_000, url = baseUrl) => httpPaymentProvider({ baseUrl: url, timeoutMs });
const authorize = (timeoutMs?: number) => provider(timeoutMs).authorize({ orderId, amount, customerId: 'customer-42' });
const refund = () => provider().refund({ orderId, authorizationId: 'auth_1' });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('authorizing over HTTP', () => {
  it('posts the amount to /v1/authorizations with the order id as Idempotency-Key', async () => {
    respond = answer(201, { authorizationId: 'auth_1', status: 'AUTHORIZED' });

    await authorize();

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/v1/authorizations',
      headers: { 'idempotency-key': orderId, 'content-type': 'application/json' },
      body: { orderId, amountCents: 1798, currency: 'USD', customerId: 'customer-42' },
    });
  });

  it('maps 201 AUTHORIZED to an authorization with its id', async () => {
    respond = answer(201, { authorizationId: 'auth_1', status: 'AUTHORIZED' });

    await expect(authorize()).resolves.toEqual({ outcome: 'AUTHORIZED', authorizationId: 'auth_1' });
  });

  it('maps 200 DECLINED to a decline with the provider reason', async () => {
    respond = answer(200, { authorizationId: 'auth_1', status: 'DECLINED', reason: 'LIMIT_EXCEEDED' });

    await expect(authorize()).resolves.toEqual({ outcome: 'DECLINED', reason: 'LIMIT_EXCEEDED' });
  });

  it('keeps the path of a base URL with a prefix and a trailing slash', async () => {
    respond = answer(201, { authorizationId: 'auth_1', status: 'AUTHORIZED' });

    await provider(1_000, `${baseUrl}/simulator/`).authorize({ orderId, amount, customerId: 'customer-42' });

    expect(received[0]?.url).toBe('/simulator/v1/authorizations');
  });

  it('gives up after the timeout as unavailable', async () => {
    respond = () => {
      // Never answers: a provider hanging mid-outage.
    };

    const error = await rejection(authorize(100));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it('counts a body that arrives too slowly against the timeout', async () => {
    respond = (_request, response) => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.write('{"authorizationId":');
    };

    await expect(authorize(100)).rejects.toThrow(ProviderUnavailableError);
  });

  it.each([500, 502, 503, 504, 429, 408, 401, 403])('treats HTTP %i as unavailable, to be retried', async (status) => {
    respond = answer(status, { type: 'https://duckstore.dev/problems/provider/internal', title: 'x', status, detail: 'x' }, 'application/problem+json');

    await expect(authorize()).rejects.toThrow(ProviderUnavailableError);
  });

  it('treats a refused connection as unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    await expect(provider(1_000, `http://127.0.0.1:${port}`).authorize({ orderId, amount, customerId: 'c' })).rejects.toThrow(ProviderUnavailableError);
  });

  it.each([
    ['an HTML page', answer(200, '<html>gateway</html>', 'text/html')],
    ['an unknown status', answer(201, { authorizationId: 'auth_1', status: 'PENDING' })],
    ['no authorization id', answer(201, { status: 'AUTHORIZED' })],
  ])('treats a 2xx with %s as unavailable: the charge may exist, so it must be asked again', async (_case, responder) => {
    respond = responder;

    await expect(authorize()).rejects.toThrow(ProviderUnavailableError);
  });

  it('treats a redirect as unavailable instead of following it', async () => {
    respond = (_request, response) => {
      response.writeHead(307, { location: '/elsewhere' });
      response.end();
    };

    await expect(authorize()).rejects.toThrow(ProviderUnavailableError);
  });

  it('maps 400 to a rejection carrying the problem type as reason', async () => {
    respond = answer(400, { type: 'https://duckstore.dev/problems/provider/invalid-request', title: 'Invalid', status: 400, detail: 'amountCents: too small' }, 'application/problem+json');

    const error = await rejection(authorize());

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect((error as ProviderRejectedError).rejection).toEqual({ reason: 'invalid-request', status: 400, chargeMayExist: false });
    expect((error as Error).message).toContain('amountCents: too small');
  });

  it('maps 409 on an authorization to a rejection that says a charge may exist', async () => {
    respond = answer(409, { type: 'https://duckstore.dev/problems/provider/idempotency-key-reused', title: 'Reused', status: 409, detail: 'x' }, 'application/problem+json');

    const error = await rejection(authorize());

    expect((error as ProviderRejectedError).rejection).toMatchObject({ reason: 'idempotency-key-reused', chargeMayExist: true });
  });

  it('names a rejection without a problem body by its status', async () => {
    respond = answer(422, 'nope', 'text/plain');

    const error = await rejection(authorize());

    expect((error as ProviderRejectedError).rejection).toEqual({ reason: 'http-422', status: 422, chargeMayExist: false });
  });
});

describe('refunding over HTTP', () => {
  it('posts to the refund path of the authorization with a refund key derived from the order', async () => {
    respond = answer(200, { authorizationId: 'auth_1', status: 'REFUNDED' });

    await refund();

    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/authorizations/auth_1/refund', headers: { 'idempotency-key': `refund-${orderId}` } });
  });

  it('resolves on 200 REFUNDED', async () => {
    respond = answer(200, { authorizationId: 'auth_1', status: 'REFUNDED' });

    await expect(refund()).resolves.toBeUndefined();
  });

  it('maps 404 to a rejection that says no charge is at stake', async () => {
    respond = answer(404, { type: 'https://duckstore.dev/problems/provider/authorization-not-found', title: 'Not found', status: 404, detail: 'x' }, 'application/problem+json');

    const error = await rejection(refund());

    expect((error as ProviderRejectedError).rejection).toEqual({ reason: 'authorization-not-found', status: 404, chargeMayExist: false });
  });

  it('treats 503 as unavailable', async () => {
    respond = answer(503);

    await expect(refund()).rejects.toThrow(ProviderUnavailableError);
  });

  it('treats a 2xx that does not say REFUNDED as unavailable', async () => {
    respond = answer(200, { status: 'AUTHORIZED' });

    await expect(refund()).rejects.toThrow(ProviderUnavailableError);
  });
});

describe('bounding and noting an authorization', () => {
  it('sends nothing and notes nothing once the saga deadline minus the margin has passed', async () => {
    let noted = 0;

    const error = await rejection(provider().authorize({ orderId, amount, customerId: 'customer-42' }, { notAfter: Date.now() - 1, beforeSend: async () => void noted++ }));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toMatch(/not attempted: the saga deadline is too close/);
    expect(received).toEqual([]);
    expect(noted).toBe(0);
  });

  it('notes the attempt once, before the request leaves', async () => {
    const order: string[] = [];
    respond = (request, response) => {
      order.push('request');
      answer(201, { status: 'AUTHORIZED', authorizationId: 'auth_1' })(request, response);
    };

    await provider().authorize({ orderId, amount, customerId: 'customer-42' }, { notAfter: Date.now() + 60_000, beforeSend: async () => void order.push('noted') });

    expect(order).toEqual(['noted', 'request']);
  });
});

describe('looking an order up over HTTP', () => {
  it('searches by the order id, never posts, and reports the authorization that took money', async () => {
    respond = answer(200, { items: [{ authorizationId: 'auth_0', status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED' }, { authorizationId: 'auth_1', status: 'REFUNDED', extra: true }] });

    const found = await provider().findAuthorization(orderId);

    expect(found).toEqual({ outcome: 'AUTHORIZED', authorizationId: 'auth_1' });
    expect(received.map((request) => [request.method, request.url, request.headers['idempotency-key']])).toEqual([['GET', `/v1/authorizations?orderId=${orderId}`, undefined]]);
  });

  it('reports nothing when the provider holds nothing for the order, and an outage as unavailable', async () => {
    respond = answer(200, { items: [] });
    expect(await provider().findAuthorization(orderId)).toBeUndefined();

    respond = answer(503);
    expect(await rejection(provider().findAuthorization(orderId))).toBeInstanceOf(ProviderUnavailableError);
  });
});
