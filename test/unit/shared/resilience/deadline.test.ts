import { describe, expect, it } from 'vitest';
import { Deadline, withTimeout } from '#shared/resilience/deadline';
import { CallTimeoutError } from '#shared/resilience/errors';
import { FakeClock, settle } from '../../../helpers/fake-clock';

describe('Deadline', () => {
  it('is the earliest of the limits given, ignoring missing ones', () => {
    const clock = new FakeClock();
    const now = clock.now();

    const deadline = Deadline.earliest(clock, now + 9_000, undefined, now + 4_000);

    expect(deadline.remainingMs()).toBe(4_000);
    expect(deadline.capped(3_000)).toBe(3_000);
    expect(deadline.capped(5_000)).toBe(4_000);
  });

  it('counts down with the clock and expires', async () => {
    const clock = new FakeClock();
    const deadline = Deadline.earliest(clock, clock.now() + 1_000);

    await clock.advance(999);
    expect(deadline.expired).toBe(false);
    await clock.advance(1);

    expect(deadline.expired).toBe(true);
    expect(deadline.remainingMs()).toBe(0);
  });

  it('never expires when there is none', async () => {
    const clock = new FakeClock();
    const deadline = Deadline.earliest(clock);

    await clock.advance(1e9);

    expect(deadline.expired).toBe(false);
    expect(deadline.capped(3_000)).toBe(3_000);
  });
});

describe('withTimeout', () => {
  it('returns the result of a call that ends in time and cancels its timer', async () => {
    const clock = new FakeClock();

    await expect(withTimeout(clock, 1_000, () => Promise.resolve('answer'))).resolves.toBe('answer');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with CallTimeoutError at the timeout and aborts the call', async () => {
    const clock = new FakeClock();
    let seen: AbortSignal | undefined;
    const pending = withTimeout(clock, 1_000, (signal) => {
      seen = signal;
      return new Promise<string>(() => {});
    });
    const failure = pending.catch((error: unknown) => error);

    await clock.advance(999);
    expect(seen?.aborted).toBe(false);
    await clock.advance(1);

    expect(await failure).toBeInstanceOf(CallTimeoutError);
    expect(seen?.aborted).toBe(true);
  });

  it('reports our timeout even when the call rejects with its own abort error', async () => {
    const clock = new FakeClock();
    const pending = withTimeout(
      clock,
      10,
      (signal) =>
        new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    );
    const failure = pending.catch((error: unknown) => error);
    await settle();

    await clock.advance(10);

    expect(await failure).toMatchObject({ name: 'CallTimeoutError', timeoutMs: 10 });
  });

  it('passes on a failure of the call itself', async () => {
    const clock = new FakeClock();
    const failure = new Error('connection refused');

    await expect(withTimeout(clock, 1_000, () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
