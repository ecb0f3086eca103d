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

/** The API with load shedding over a fake backlog and a fake control document. */
function api(options: { inFlight: number | undefined; profile?: string; maxInFlight?: number }) {
  const store = inMemoryOrders();
  const backlogReads: number[] = [];
  const controls: Controls = { faults: [], ...(options.profile ? { resilienceProfile: options.profile } : {}) };
  const loadShedding = apiLoadShedding({
    controls: () => Promise.resolve(controls),
    backlog: (atLeast) => (backlogReads.push(atLeast), Promise.resolve(options.inFlight)),
    maxInFlight: options.maxInFlight ?? 100,
  });
  const ports = { orders: store.repository, clock: fixedClock(), sagaDeadlineSeconds: 300, loadShedding };
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

  it('sheds under the default profile with the deployed limit', async () => {
    const { backlogReads, send } = api({ inFlight: 20, maxInFlight: 20 });

    const response = await send(postOrder());

    expect(response.statusCode).toBe(503);
    expect(backlogReads).toEqual([20]);
  });
});
