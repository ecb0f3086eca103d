import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readControlsDocument, type FunctionFault } from '#contracts/controls';
import { controlsCache, currentControls } from '#shared/controls';
import { firingFault, putEventsUnderFaults, targets } from '#shared/faults';
import { fakeEventBridge } from '../../helpers/fakes-event-bridge';

/** A random source that answers the given rolls in turn, then 0.99 (never under a rate below it). */
const rolls = (...values: number[]) => () => values.shift() ?? 0.99;
const always = () => 0;

const fault = (overrides: Partial<FunctionFault> = {}): FunctionFault => ({ kind: 'throw-after-commit', target: 'inventory', rate: 1, ...overrides });
const inventoryConsumer = { service: 'inventory', component: 'inventory-consumer', eventType: 'OrderPlaced', orderId: 'order-1', attempt: 1 };

describe('targets', () => {
  it('names a function by its context, its service name or its component', () => {
    expect(targets(fault({ target: 'inventory' }), inventoryConsumer)).toBe(true);
    expect(targets(fault({ target: 'inventory-consumer' }), inventoryConsumer)).toBe(true);
    expect(targets(fault({ target: 'orders' }), { service: 'orders-relay' })).toBe(true);
    expect(targets(fault({ target: 'orders-relay' }), { service: 'orders-relay' })).toBe(true);
  });

  it('does not name another function that merely shares a prefix', () => {
    expect(targets(fault({ target: 'orders' }), { service: 'ordersx' })).toBe(false);
    expect(targets(fault({ target: 'orders-relay' }), { service: 'orders', component: 'orders-consumer' })).toBe(false);
    expect(targets(fault({ target: 'payments' }), inventoryConsumer)).toBe(false);
  });
});

describe('firingFault', () => {
  it('fires a matching fault when the roll falls under its rate', () => {
    expect(firingFault([fault({ rate: 0.3 })], 'throw-after-commit', inventoryConsumer, rolls(0.29))).toMatchObject({ rate: 0.3 });
    expect(firingFault([fault({ rate: 0.3 })], 'throw-after-commit', inventoryConsumer, rolls(0.3))).toBeUndefined();
  });

  it('never fires at rate 0, whatever the roll', () => {
    expect(firingFault([fault({ rate: 0 })], 'throw-after-commit', inventoryConsumer, always)).toBeUndefined();
  });

  it('ignores faults of another kind or another target', () => {
    const faults = [fault({ kind: 'delay' }), fault({ target: 'payments' })];
    expect(firingFault(faults, 'throw-after-commit', inventoryConsumer, always)).toBeUndefined();
  });

  it('filters by event type and by order', () => {
    expect(firingFault([fault({ eventType: 'OrderCancelled' })], 'throw-after-commit', inventoryConsumer, always)).toBeUndefined();
    expect(firingFault([fault({ eventType: 'OrderPlaced' })], 'throw-after-commit', inventoryConsumer, always)).toBeDefined();
    expect(firingFault([fault({ orderId: 'order-2' })], 'throw-after-commit', inventoryConsumer, always)).toBeUndefined();
    expect(firingFault([fault({ orderId: 'order-1' })], 'throw-after-commit', inventoryConsumer, always)).toBeDefined();
  });

  it('fires only on the first N attempts when attempts is set, so the retry gets through', () => {
    const once = [fault({ attempts: 1 })];
    expect(firingFault(once, 'throw-after-commit', { ...inventoryConsumer, attempt: 1 }, always)).toBeDefined();
    expect(firingFault(once, 'throw-after-commit', { ...inventoryConsumer, attempt: 2 }, always)).toBeUndefined();
    expect(firingFault([fault()], 'throw-after-commit', { ...inventoryConsumer, attempt: 7 }, always)).toBeDefined();
  });

  it('rolls each matching fault in turn until one fires', () => {
    const faults = [fault({ rate: 0.1, orderId: 'order-1' }), fault({ rate: 0.5 })];
    expect(firingFault(faults, 'throw-after-commit', inventoryConsumer, rolls(0.2, 0.4))).toBe(faults[1]);
  });
});

describe('readControlsDocument', () => {
  it('reads a missing document as no controls', () => {
    expect(readControlsDocument(undefined)).toEqual({ controls: { faults: [] } });
  });

  it('reads every field of a valid document', () => {
    const item = { pk: 'controls', faults: [fault({ delayMs: 100, kind: 'delay' })], provider: { outage: true }, resilienceProfile: 'none', providerIdempotency: false };
    expect(readControlsDocument(item)).toEqual({
      controls: { faults: [fault({ delayMs: 100, kind: 'delay' })], provider: { outage: true }, resilienceProfile: 'none', providerIdempotency: false },
    });
  });

  it('treats a document that breaks the schema as no controls, with the issues', () => {
    const { controls, issues } = readControlsDocument({ faults: [{ kind: 'meteor-strike', target: 'orders', rate: 2 }] });
    expect(controls).toEqual({ faults: [] });
    expect(issues?.join(' ')).toMatch(/faults\.0\.kind/);
    expect(issues?.join(' ')).toMatch(/faults\.0\.rate/);
  });
});

describe('controlsCache', () => {
  const document = (target: string) => ({ faults: [fault({ target })] });

  it('reads once per maximum age, and concurrent callers share that one read', async () => {
    let now = 0;
    let reads = 0;
    const controls = controlsCache(async () => document(`read-${++reads}`), () => now);

    const [first, second] = await Promise.all([controls(2_000), controls(2_000)]);
    now = 1_999;
    const cached = await controls(2_000);
    now = 2_000;
    const fresh = await controls(2_000);

    expect(reads).toBe(2);
    expect([first, second, cached].map((c) => c.faults[0]?.target)).toEqual(['read-1', 'read-1', 'read-1']);
    expect(fresh.faults[0]?.target).toBe('read-2');
  });

  it('keeps the last document when a read fails, and tries again after the maximum age', async () => {
    let now = 0;
    const answers: (() => unknown)[] = [() => document('good'), () => { throw new Error('throttled'); }, () => undefined];
    const controls = controlsCache(async () => answers.shift()!(), () => now);

    expect((await controls(1_000)).faults[0]?.target).toBe('good');
    now = 1_000;
    expect((await controls(1_000)).faults[0]?.target).toBe('good');
    now = 2_000;
    expect(await controls(1_000)).toEqual({ faults: [] });
  });
});

describe('currentControls', () => {
  it('answers no faults without fault injection deployed (no controls table in the environment)', async () => {
    expect(process.env.DUCKSTORE_CONTROLS_TABLE).toBeUndefined();
    await expect(currentControls()).resolves.toEqual({ faults: [] });
  });
});

const entry = (orderId: string, type = 'OrderPlaced'): PutEventsRequestEntry => ({
  Source: 'duckstore.orders',
  DetailType: type,
  Detail: JSON.stringify({ metadata: { type, correlationId: orderId }, data: {} }),
});

describe('putEventsUnderFaults', () => {
  // The function these tests play: the orders context's outbox relay.
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'orders-relay');
  afterAll(() => vi.unstubAllEnvs());
  const relay = (kind: FunctionFault['kind'], overrides: Partial<FunctionFault> = {}): FunctionFault[] => [{ kind, target: 'orders-relay', rate: 1, ...overrides }];

  it('keeps a failing entry from EventBridge and reports it as PutEvents does: FailedEntryCount and an error code, no exception', async () => {
    const { client, calls } = fakeEventBridge();
    const entries = [entry('order-1'), entry('order-2'), entry('order-3')];

    const response = await putEventsUnderFaults(client, entries, 1, relay('putevents-partial-failure', { orderId: 'order-2' }), always);

    expect(calls).toEqual([[entries[0], entries[2]]]);
    expect(response.FailedEntryCount).toBe(1);
    expect(response.Entries?.map((result) => result.ErrorCode ?? 'ok')).toEqual(['ok', 'InternalFailure', 'ok']);
    expect(response.Entries?.[0]?.EventId).toBeDefined();
  });

  it('lets the retry of a failed entry through when the fault is limited to the first attempt', async () => {
    const { client, calls } = fakeEventBridge();

    const response = await putEventsUnderFaults(client, [entry('order-1')], 2, relay('putevents-partial-failure', { attempts: 1 }), always);

    expect(calls).toHaveLength(1);
    expect(response.FailedEntryCount).toBe(0);
  });

  it('publishes a duplicated entry twice and reports it once', async () => {
    const { client, calls } = fakeEventBridge();
    const entries = [entry('order-1'), entry('order-2', 'OrderConfirmed')];

    const response = await putEventsUnderFaults(client, entries, 1, relay('duplicate-publish', { eventType: 'OrderConfirmed' }), always);

    expect(calls).toEqual([entries, [entries[1]]]);
    expect(response.Entries).toHaveLength(2);
    expect(response.FailedEntryCount).toBe(0);
  });

  it('makes no call when every entry fails', async () => {
    const { client, calls } = fakeEventBridge();

    const response = await putEventsUnderFaults(client, [entry('order-1')], 1, relay('putevents-partial-failure'), always);

    expect(calls).toEqual([]);
    expect(response.FailedEntryCount).toBe(1);
  });
});
