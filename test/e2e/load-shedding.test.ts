import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '#contracts/api';
import { pauseConsumer, resumeConsumer, setResilienceProfile, setSagaDeadline } from '../../cli/faults';
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
  await setSagaDeadline(system.deployment, undefined);
});

const json = { 'content-type': 'application/json' };
const post = (key: string, body: string) => system.api.request('POST', '/orders', { headers: { ...json, 'idempotency-key': key }, body });
const orderBody = (customerId: string) => JSON.stringify({ customerId, items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });

/** One POST a second until the API refuses one (503) or `forMs` passes: the orders accepted first, and the refused request. */
async function placeUntilRefused(customerId: string, forMs: number) {
  const accepted: string[] = [];
  let refused: { key: string; response: Awaited<ReturnType<typeof post>> } | undefined;
  for (const deadline = Date.now() + forMs; !refused && Date.now() < deadline; ) {
    const key = randomUUID();
    const response = await post(key, orderBody(customerId));
    if (response.status === 503) refused = { key, response };
    else {
      expect(response.status).toBe(202);
      accepted.push((response.body as { orderId: string }).orderId);
      // Let the API's cached signals (~2 s) see the new order.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  return { accepted, refused };
}

describe('load shedding at POST /orders', () => {
  it('refuses with 503, Retry-After and a problem once the orders in flight reach the limit, accepting nothing; every accepted order completes', async () => {
    const customerId = `e2e-shed-${randomUUID().slice(0, 8)}`;
    await pauseConsumer(system.deployment, 'payments');
    await setResilienceProfile(system.deployment, 'full,maxBacklog=2');

    const { accepted, refused } = await placeUntilRefused(customerId, 30_000);

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

  it('refuses with the oldest-age reason once the orders in flight stop moving, writing nothing; every accepted order confirms once they move again', async () => {
    const customerId = `e2e-age-${randomUUID().slice(0, 8)}`;
    // 40 s for these orders: 30 s a saga has past the 10 s margin, so the API refuses once the oldest have waited 15 s
    // (sooner if they visibly do not move), and an accepted order still has time to confirm after the resume.
    await setSagaDeadline(system.deployment, 40);
    await pauseConsumer(system.deployment, 'payments');
    // The API reads the controls within ~2 s: orders placed before that would get the deployed deadline.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const { accepted, refused } = await placeUntilRefused(customerId, 40_000);

    expect(refused?.response.status).toBe(503);
    const problem = refused!.response.body as Problem;
    expect(problem.type).toBe('https://duckstore.dev/problems/overloaded');
    expect(problem.detail).toContain('(oldest-age: ');
    expect(Number(refused!.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(2);
    expect(await system.rows('orders', (row) => String(row.pk).endsWith(`#${refused!.key}`))).toEqual([]);
    // The quorum: at least three shards had to hold an order, so at least three were accepted first.
    expect(accepted.length).toBeGreaterThanOrEqual(3);

    await resumeConsumer(system.deployment, 'payments');
    for (const orderId of accepted) {
      const order = await system.api.waitForTerminal(orderId, { timeoutMs: 60_000 });
      expect(order.status).toBe('CONFIRMED');
      expect(Date.parse(order.deadline) - Date.parse(order.createdAt)).toBe(40_000);
    }
  });
});
