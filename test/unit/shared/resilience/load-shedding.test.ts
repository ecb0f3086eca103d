import { describe, expect, it } from 'vitest';
import { cachedBacklog, decideShedding, shedDecision } from '#shared/resilience/load-shedding';
import { FakeClock } from '../../../helpers/fake-clock';

const settings = { maxBacklog: 100, retryAfterSeconds: 5 };

describe('shedDecision', () => {
  it('accepts below the limit and sheds from the limit on, with Retry-After', () => {
    expect(shedDecision(99, settings)).toEqual({ shed: false, backlog: 99 });
    expect(shedDecision(100, settings)).toEqual({ shed: true, backlog: 100, retryAfterSeconds: 5 });
    expect(shedDecision(0, { ...settings, maxBacklog: 0 })).toMatchObject({ shed: true });
  });
});

describe('cachedBacklog', () => {
  function gauge(values: number[]) {
    const reads: number[] = [];
    return { reads, read: (atLeast: number) => (reads.push(atLeast), Promise.resolve(values[reads.length - 1] ?? 0)) };
  }

  it('reads the gauge at most once per max age, then again', async () => {
    const clock = new FakeClock();
    const source = gauge([10, 20]);
    const backlog = cachedBacklog(source, { clock, maxAgeMs: 5_000 });

    expect(await backlog(100)).toBe(10);
    await clock.advance(4_999);
    expect(await backlog(100)).toBe(10);
    await clock.advance(1);

    expect(await backlog(100)).toBe(20);
    expect(source.reads).toEqual([100, 100]);
  });

  it('shares one read among concurrent callers', async () => {
    const clock = new FakeClock();
    const source = gauge([7]);
    const backlog = cachedBacklog(source, { clock, maxAgeMs: 5_000 });

    expect(await Promise.all([backlog(100), backlog(100), backlog(100)])).toEqual([7, 7, 7]);
    expect(source.reads).toHaveLength(1);
  });

  it('reads again when asked about a higher limit than the cached reading covered', async () => {
    const clock = new FakeClock();
    const source = gauge([5, 300]);
    const backlog = cachedBacklog(source, { clock, maxAgeMs: 5_000 });

    await backlog(5);

    expect(await backlog(500)).toBe(300);
  });

  it('says "unknown" when the gauge fails, and reports the error', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const failure = new Error('throttled');
    const backlog = cachedBacklog({ read: () => Promise.reject(failure) }, { clock, maxAgeMs: 5_000, onError: (error) => errors.push(error) });

    expect(await backlog(100)).toBeUndefined();
    expect(errors).toEqual([failure]);
  });
});

describe('decideShedding', () => {
  it('sheds nothing and reads nothing when shedding is off', async () => {
    let reads = 0;

    const decision = await decideShedding(() => (reads++, Promise.resolve(1e6)), undefined);

    expect(decision).toEqual({ shed: false });
    expect(reads).toBe(0);
  });

  it('sheds nothing when the backlog is unknown (fails open)', async () => {
    expect(await decideShedding(() => Promise.resolve(undefined), settings)).toEqual({ shed: false });
  });

  it('sheds when the cached backlog reaches the limit', async () => {
    expect(await decideShedding(() => Promise.resolve(150), settings)).toEqual({ shed: true, backlog: 150, retryAfterSeconds: 5 });
  });
});
