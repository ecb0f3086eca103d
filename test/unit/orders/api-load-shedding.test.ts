import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { Controls } from '#shared/controls';
import { handleApiRequest } from '../../../functions/orders/handlers/api';
import { apiLoadShedding } from '../../../functions/orders/handlers/load-shedding';
import { postOrder, readResponse } from '../../helpers/orders-api-events';
import { fixedClock, inMemoryOrders } from '../../helpers/orders-fake-repository';

// As the CDK construct sets it; read when the metrics singleton is created, at import.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'DuckStore';
});

// The LoadShed metric goes to stdout (EMF); keep it off the test report and check it.
let stdout: MockInstance<typeof process.stdout.write>;
const loadShedLines = () => stdout.mock.calls.map(([chunk]) => String(chunk)).filter((text) => text.includes('"LoadShed"'));
beforeEach(() => {
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stdout.mockRestore();
});

/** The API with admission control over fake signals and a fake control document. */
function api(options: { inFlight: number | undefined; profile?: string; maxInFlight?: number; oldestAgesMs?: number[]; sagaDeadlineOverride?: number }) {
  const store = inMemoryOrders();
  const backlogReads: number[] = [];
  const controls: Controls = { faults: [], ...(options.profile ? { resilienceProfile: options.profile } : {}) };
  const clock = fixedClock();
  const now = clock.now().getTime();
  const deadlineSeconds = options.sagaDeadlineOverride ?? 300;
  const loadShedding = apiLoadShedding({
    controls: () => Promise.resolve(controls),
    sagaDeadlineSeconds: () => Promise.resolve(deadlineSeconds),
    backlog: (atLeast) => (backlogReads.push(atLeast), Promise.resolve(options.inFlight)),
    oldest: () => Promise.resolve({ oldestDeadlines: (options.oldestAgesMs ?? []).map((age) => now - age + deadlineSeconds * 1000) }),
    settings: { maxInFlight: options.maxInFlight ?? 100, marginMs: 10_000, budgetFraction: 0.5, ageQuorum: 3, maxRetryAfterSeconds: 30 },
    now: () => now,
  });
  const ports = {
    orders: store.repository,
    clock,
    sagaDeadlineSeconds: 300,
    loadShedding,
    ...(options.sagaDeadlineOverride ? { sagaDeadlineOverride: () => Promise.resolve(options.sagaDeadlineOverride) } : {}),
  };
  return { store, backlogReads, send: async (event: Parameters<typeof handleApiRequest>[0]) => readResponse(await handleApiRequest(event, ports)) };
}

describe('POST /orders under load shedding', () => {
  it('accepts while the orders in flight are below the limit', async () => {
    const { store, send } = api({ inFlight: 99 });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(202);
    expect(store.orders.size).toBe(1);
    expect(loadShedLines()).toHaveLength(0);
  });

  it('refuses with 503, Retry-After and a problem, writing nothing, once the limit is reached', async () => {
    const { store, send } = api({ inFlight: 100 });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ type: 'https://duckstore.dev/problems/overloaded', status: 503, title: 'Too many orders in progress' });
    expect(store.isEmpty()).toBe(true);
    expect(loadShedLines()).toHaveLength(1);
  });

  it('accepts the same request, same key, once the backlog is down: the refusal left nothing behind', async () => {
    const busy = api({ inFlight: 500 });
    const refused = await busy.send(postOrder());
    const calm = api({ inFlight: 0 });

    const accepted = await calm.send(postOrder());

    expect(refused.statusCode).toBe(503);
    expect(accepted.statusCode).toBe(202);
    expect(accepted.body.replayed).toBe(false);
  });

  it('checks the request before the backlog: an invalid order is a 400 even under load', async () => {
    const { backlogReads, send } = api({ inFlight: 500 });

    const response = await send(postOrder({ customerId: 'c-1', items: [] }));

    expect(response.statusCode).toBe(400);
    expect(backlogReads).toEqual([]);
  });

  it('does not shed, or even read the backlog, under a profile without shedding', async () => {
    const { backlogReads, send } = api({ inFlight: 10_000, profile: 'breaker' });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(202);
    expect(backlogReads).toEqual([]);
  });

  it('takes the limit from the profile when it overrides it (experiments)', async () => {
    const { backlogReads, send } = api({ inFlight: 3, profile: 'bulkhead,maxBacklog=3' });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(503);
    expect(backlogReads).toEqual([3]);
  });

  it('accepts when the backlog cannot be read (fails open)', async () => {
    const { send } = api({ inFlight: undefined });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(202);
  });

  it('refuses with the oldest-age reason once the oldest orders in flight have spent half of deadline − margin', async () => {
    const { store, send } = api({ inFlight: 3, oldestAgesMs: [150_000, 160_000, 170_000] });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toMatchObject({ type: 'https://duckstore.dev/problems/overloaded' });
    expect(String(response.body.detail)).toContain('(oldest-age: ');
    expect(store.isEmpty()).toBe(true);
    expect(loadShedLines()[0]).toContain('"reason":"oldest-age"');
  });

  it('places the order with the run-time saga deadline, and judges age against it', async () => {
    const young = api({ inFlight: 3, oldestAgesMs: [10_000, 10_000, 10_000], sagaDeadlineOverride: 30 });
    const old = api({ inFlight: 3, oldestAgesMs: [10_000, 10_000, 10_000] });

    const refused = await young.send(postOrder());
    const accepted = await old.send(postOrder());

    expect(refused.statusCode).toBe(503);
    expect(accepted.statusCode).toBe(202);
    const calm = api({ inFlight: 0, sagaDeadlineOverride: 45 });
    await calm.send(postOrder());
    const [order] = [...calm.store.orders.values()] as { createdAt: string; deadline: string }[];
    expect(Date.parse(order!.deadline) - Date.parse(order!.createdAt)).toBe(45_000);
  });

  it('sheds under the default profile with the deployed limit', async () => {
    const { backlogReads, send } = api({ inFlight: 20, maxInFlight: 20 });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(503);
    expect(backlogReads).toEqual([20]);
  });
});
