import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bulkhead } from '#shared/resilience/bulkhead';
import { BulkheadFullError } from '#shared/resilience/errors';
import { FakeClock, settle } from '../../../helpers/fake-clock';

const settings = { maxConcurrent: 2, maxQueued: 2, maxWaitMs: 1_000 };

/** A call that stays in progress until the test finishes it. */
function gate() {
  let open = () => {};
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

describe('Bulkhead', () => {
  it('runs up to the limit at once and queues the next calls', async () => {
    const clock = new FakeClock();
    const bulkhead = new Bulkhead('provider', settings, clock);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];

    const runs = gates.map((current, index) => bulkhead.run(async () => {
      started.push(index);
      await current.done;
    }));
    await settle();

    expect(started).toEqual([0, 1]);
    expect([bulkhead.inUse, bulkhead.waiting]).toEqual([2, 1]);
    gates[0]!.open();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.open();
    gates[2]!.open();
    await Promise.all(runs);
    expect([bulkhead.inUse, bulkhead.waiting]).toEqual([0, 0]);
  });

  it('refuses at once when the queue is full', async () => {
    const clock = new FakeClock();
    const bulkhead = new Bulkhead('provider', settings, clock);
    const held = gate();
    const runs = [1, 2, 3, 4].map(() => bulkhead.run(() => held.done));
    await settle();

    await expect(bulkhead.run(() => Promise.resolve())).rejects.toBeInstanceOf(BulkheadFullError);
    held.open();
    await Promise.all(runs);
  });

  it('refuses a waiting call when no slot frees within its wait, and forgets it', async () => {
    const clock = new FakeClock();
    const bulkhead = new Bulkhead('provider', settings, clock);
    const held = gate();
    const busy = [1, 2].map(() => bulkhead.run(() => held.done));
    const waiting = bulkhead.run(() => Promise.resolve('ran')).catch((error: unknown) => error);
    await settle();

    await clock.advance(999);
    expect(bulkhead.waiting).toBe(1);
    await clock.advance(1);

    expect(await waiting).toMatchObject({ name: 'BulkheadFullError', message: 'bulkhead provider is full: no slot freed within 1000 ms' });
    expect(bulkhead.waiting).toBe(0);
    held.open();
    await Promise.all(busy);
    expect(bulkhead.inUse).toBe(0);
  });

  it('waits no longer than the caller allows (its deadline)', async () => {
    const clock = new FakeClock();
    const bulkhead = new Bulkhead('provider', settings, clock);
    const held = gate();
    const busy = [1, 2].map(() => bulkhead.run(() => held.done));
    const waiting = bulkhead.run(() => Promise.resolve(), 100).catch((error: unknown) => error);

    await clock.advance(100);

    expect(await waiting).toBeInstanceOf(BulkheadFullError);
    held.open();
    await Promise.all(busy);
  });

  it('hands a freed slot to the longest waiter, not to a newcomer', async () => {
    const clock = new FakeClock();
    const bulkhead = new Bulkhead('provider', { ...settings, maxConcurrent: 1 }, clock);
    const first = gate();
    const order: string[] = [];
    const running = bulkhead.run(() => first.done);
    const waiter = bulkhead.run(async () => void order.push('waiter'));
    await settle();

    first.open();
    const newcomer = bulkhead.run(async () => void order.push('newcomer'));
    await Promise.all([running, waiter, newcomer]);

    expect(order).toEqual(['waiter', 'newcomer']);
  });

  it('never has more calls in progress than its limit, and gives every slot back (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 25 }), async (maxConcurrent, durations) => {
        const clock = new FakeClock();
        const bulkhead = new Bulkhead('provider', { maxConcurrent, maxQueued: 10, maxWaitMs: 500 }, clock);
        let inProgress = 0;
        let most = 0;
        const runs = durations.map((ms) =>
          bulkhead
            .run(async () => {
              most = Math.max(most, ++inProgress);
              await new Promise<void>((resolve) => clock.setTimer(ms, resolve));
              inProgress--;
            })
            .catch((error: unknown) => expect(error).toBeInstanceOf(BulkheadFullError)),
        );
        await clock.advance(10_000);
        await Promise.all(runs);

        expect(most).toBeLessThanOrEqual(maxConcurrent);
        expect([bulkhead.inUse, bulkhead.waiting]).toEqual([0, 0]);
      }),
      { numRuns: 100 },
    );
  });
});
