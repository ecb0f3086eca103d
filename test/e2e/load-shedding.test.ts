import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '#contracts/api';
import { pauseConsumer, resumeConsumer, setResilienceProfile } from '../../cli/faults';
import { System } from './helpers/system';

/**
 * Load shedding at the orders API, for real: the payments consumer is paused
 * so that accepted orders stay in flight, and the limit is lowered to 2 at
 * run time through the control document (the API reads it within ~2 s), so
 * the backlog is counted on the pending-orders index and passes the limit
 * after a few orders. About 10 s.
 */
let system: System;

beforeAll(async () => {
  system = await System.connect();
});

afterEach(async () => {
  // The other files of the suite share this deployment: payments polling and the default profile, whatever happened.
  await resumeConsumer(system.deployment, 'payments');
  await setResilienceProfile(system.deployment, undefined);
});

const json = { 'content-type': 'application/json' };
const post = (key: string, body: string) => system.api.request('POST', '/orders', { headers: { ...json, 'idempotency-key': key }, body });
const orderBody = (customerId: string) => JSON.stringify({ customerId, items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });

describe('load shedding at POST /orders', () => {
  it('refuses with 503, Retry-After and a problem once the orders in flight reach the limit, accepting nothing; every accepted order completes', async () => {
    const customerId = `e2e-shed-${randomUUID().slice(0, 8)}`;
    await pauseConsumer(system.deployment, 'payments');
    await setResilienceProfile(system.deployment, 'full,maxBacklog=2');

    const accepted: string[] = [];
    let refused: { key: string; response: Awaited<ReturnType<typeof post>> } | undefined;
    for (const deadline = Date.now() + 30_000; !refused && Date.now() < deadline; ) {
      const key = randomUUID();
      const response = await post(key, orderBody(customerId));
      if (response.status === 503) refused = { key, response };
      else {
        expect(response.status).toBe(202);
        accepted.push((response.body as { orderId: string }).orderId);
        // Let the API's cached count (~2 s) see the new order.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }

    expect(refused?.response.status).toBe(503);
    expect(refused!.response.headers.get('retry-after')).toBe('5');
    expect(refused!.response.headers.get('content-type')).toContain('application/problem+json');
    expect((refused!.response.body as Problem).type).toBe('https://duckstore.dev/problems/overloaded');
    expect(await system.rows('orders', (row) => String(row.pk).endsWith(`#${refused!.key}`))).toEqual([]);

    await resumeConsumer(system.deployment, 'payments');
    await setResilienceProfile(system.deployment, undefined);
    for (const orderId of accepted) expect((await system.api.waitForTerminal(orderId)).status).toBe('CONFIRMED');
    // The refused request, retried with its key, is a first attempt once the backlog is down.
    let retried = await post(refused!.key, orderBody(customerId));
    for (const deadline = Date.now() + 15_000; retried.status === 503 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      retried = await post(refused!.key, orderBody(customerId));
    }
    expect(retried.status).toBe(202);
    expect((retried.body as { replayed: boolean }).replayed).toBe(false);
    expect((await system.api.waitForTerminal((retried.body as { orderId: string }).orderId)).status).toBe('CONFIRMED');
  });
});
