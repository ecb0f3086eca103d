import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '#contracts/api';
import { System } from './helpers/system';

/** Every bad request of the orders API gets its 4xx with a machine-readable reason, and writes nothing. */
let system: System;

beforeAll(async () => {
  system = await System.connect();
});

const json = { 'content-type': 'application/json' };
const order = (customerId: string, items: unknown = [{ sku: 'DUCK-CLASSIC', quantity: 1 }]) => JSON.stringify({ customerId, items });

const cases: { name: string; status: number; type: string; build: (customerId: string, key: string) => { headers: Record<string, string>; body: string } }[] = [
  { name: 'malformed JSON', status: 400, type: 'malformed-json', build: (_c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: '{"customerId": ' }) },
  { name: 'missing Idempotency-Key', status: 400, type: 'invalid-idempotency-key', build: (c) => ({ headers: json, body: order(c) }) },
  { name: 'empty Idempotency-Key', status: 400, type: 'invalid-idempotency-key', build: (c) => ({ headers: { ...json, 'idempotency-key': '' }, body: order(c) }) },
  { name: 'unknown field', status: 400, type: 'invalid-order', build: (c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: JSON.stringify({ customerId: c, items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }], coupon: 'FREE' }) }) },
  { name: 'zero quantity', status: 400, type: 'invalid-order', build: (c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: order(c, [{ sku: 'DUCK-CLASSIC', quantity: 0 }]) }) },
  { name: 'negative quantity', status: 400, type: 'invalid-order', build: (c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: order(c, [{ sku: 'DUCK-CLASSIC', quantity: -2 }]) }) },
  { name: 'non-integer quantity', status: 400, type: 'invalid-order', build: (c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: order(c, [{ sku: 'DUCK-CLASSIC', quantity: 1.5 }]) }) },
  {
    name: 'too many items',
    status: 400,
    type: 'invalid-order',
    build: (c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: order(c, Array.from({ length: 26 }, (_, i) => ({ sku: `DUCK-X${i}`, quantity: 1 }))) }),
  },
  { name: 'oversized body', status: 413, type: 'body-too-large', build: (c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: JSON.stringify({ customerId: c, items: [], padding: 'x'.repeat(20_000) }) }) },
  { name: 'wrong content type', status: 415, type: 'unsupported-media-type', build: (c, key) => ({ headers: { 'content-type': 'text/plain', 'idempotency-key': key }, body: order(c) }) },
  { name: 'unknown SKU', status: 422, type: 'unknown-sku', build: (c, key) => ({ headers: { ...json, 'idempotency-key': key }, body: order(c, [{ sku: 'DUCK-UNICORN', quantity: 1 }]) }) },
];

describe('POST /orders with bad input', () => {
  it.each(cases)('answers $status $type to $name and writes nothing', async ({ status, type, build }) => {
    const customerId = `e2e-bad-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();

    const response = await system.api.request('POST', '/orders', build(customerId, key));

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = response.body as Problem;
    expect(problem.type).toBe(`https://duckstore.dev/problems/${type}`);
    expect(problem.detail.length).toBeGreaterThan(0);
    expect(await system.rows('orders', (row) => row.customerId === customerId || String(row.pk).endsWith(`#${key}`))).toEqual([]);
  });

  it('answers 422 to a reused key with another body, and keeps the first order only', async () => {
    const key = randomUUID();
    const customerId = `e2e-reuse-${randomUUID().slice(0, 8)}`;
    const first = await system.api.placeOrder({ customerId, items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] }, key);

    const response = await system.api.request('POST', '/orders', { headers: { ...json, 'idempotency-key': key }, body: order(customerId, [{ sku: 'DUCK-CLASSIC', quantity: 2 }]) });

    expect(response.status).toBe(422);
    expect((response.body as Problem).type).toBe('https://duckstore.dev/problems/idempotency-key-reused');
    expect((await system.rows('orders', (row) => row.kind === 'order' && row.customerId === customerId)).map((row) => row.orderId)).toEqual([first.orderId]);
  });

  it('answers 404 to an unknown order and 400 to a malformed id', async () => {
    expect((await system.api.request('GET', `/orders/${randomUUID()}`)).status).toBe(404);
    expect((await system.api.request('GET', '/orders/not-an-id')).status).toBe(400);
  });
});
