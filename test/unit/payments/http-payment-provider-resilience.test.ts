import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpPaymentProvider } from '../../../functions/payments/adapters/http-payment-provider';
import { ProviderRejectedError, ProviderUnavailableError } from '../../../functions/payments/domain/ports';
import { systemClock } from '#shared/resilience/clock';
import { Deadline } from '#shared/resilience/deadline';
import { resilienceProfile } from '#shared/resilience/profiles';
import { resilientCaller } from '#shared/resilience/resilient-call';

/** The adapter with its resilience against a real HTTP server (real time, short timeouts, no jitter wait). */

const orderId = '0b7f2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const amount = { amountCents: 1798, currency: 'USD' as const };

type Responder = (response: ServerResponse, attempt: number) => void;

let server: Server;
let baseUrl: string;
let respond: Responder;
const keys: (string | undefined)[] = [];

const answer = (status: number, body?: unknown): Responder => (response) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(body === undefined ? undefined : JSON.stringify(body));
};
const authorized = answer(201, { authorizationId: 'auth_1', status: 'AUTHORIZED' });
const hang: Responder = () => {};

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      keys.push(request.headers['idempotency-key'] as string | undefined);
      respond(response, keys.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  keys.length = 0;
});

function provider(profile: string, options: { sendIdempotencyKeys?: boolean; deadlineMs?: number } = {}) {
  const caller = resilientCaller('payment-provider', { clock: systemClock, random: () => 0 });
  const settings = resilienceProfile(profile, { callTimeoutMs: 100 });
  const current = () => ({
    settings,
    deadline: Deadline.earliest(systemClock, options.deadlineMs === undefined ? undefined : systemClock.now() + options.deadlineMs),
    sendIdempotencyKeys: options.sendIdempotencyKeys ?? true,
  });
  return httpPaymentProvider({ baseUrl, timeoutMs: 100, resilience: { caller, current } });
}

const authorize = (subject: ReturnType<typeof provider>) => subject.authorize({ orderId, amount, customerId: 'customer-42' });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('the provider client with its resilience profile', () => {
  it('retries a 503 in process and succeeds, every attempt under the order id as Idempotency-Key', async () => {
    respond = (response, attempt) => (attempt < 3 ? answer(503)(response, attempt) : authorized(response, attempt));

    const result = await authorize(provider('full'));

    expect(result).toEqual({ outcome: 'AUTHORIZED', authorizationId: 'auth_1' });
    expect(keys).toEqual([orderId, orderId, orderId]);
  });

  it('sends a fresh key per attempt when the controls switch provider idempotency off (naive profiles)', async () => {
    respond = (response, attempt) => (attempt < 3 ? answer(503)(response, attempt) : authorized(response, attempt));

    await authorize(provider('retries', { sendIdempotencyKeys: false }));

    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) expect(key).toMatch(new RegExp(`^${orderId}~[0-9a-f-]{36}$`));
  });

  it('keeps the order id as key under the full profile even when the controls say otherwise', async () => {
    respond = (response, attempt) => (attempt < 2 ? answer(503)(response, attempt) : authorized(response, attempt));

    await authorize(provider('full', { sendIdempotencyKeys: false }));

    expect(keys).toEqual([orderId, orderId]);
  });

  it('never retries a refusal', async () => {
    respond = answer(422, { type: 'https://provider.example/problems/card-expired' });

    const error = await failure(authorize(provider('full')));

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(keys).toHaveLength(1);
  });

  it('makes one attempt under the none profile', async () => {
    respond = answer(503);

    const error = await failure(authorize(provider('none')));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(keys).toHaveLength(1);
  });

  it('times each attempt out and reports the provider unavailable after the last', async () => {
    respond = hang;

    const error = await failure(authorize(provider('timeouts')));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toBe('payment provider authorization failed: timed out after 100 ms');
    expect(keys).toHaveLength(3);
  });

  it('stops retrying when the overall deadline comes', async () => {
    respond = hang;

    const error = await failure(authorize(provider('timeouts', { deadlineMs: 150 })));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    // 100 ms, then what is left of the 150 (about 50 ms): no third attempt.
    expect(keys).toHaveLength(2);
  });

  it('fails fast as unavailable, without a request, once the breaker is open', async () => {
    respond = answer(503);
    const subject = provider('breaker');
    // Three attempts each: the second call's second attempt is the fifth failure, which opens it.
    for (let i = 0; i < 2; i++) await failure(authorize(subject));
    const sent = keys.length;
    expect(sent).toBe(5);

    const error = await failure(authorize(subject));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toMatch(/not attempted: circuit breaker payment-provider is open/);
    expect(keys).toHaveLength(sent);
  });
});
