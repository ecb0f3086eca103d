import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { admissionDecision, cachedBacklog, decideShedding, withEarlierReading, type AdmissionSettings } from '#shared/resilience/load-shedding';
import { FakeClock } from '../../../helpers/fake-clock';

const settings: AdmissionSettings = {
  maxInFlight: 100,
  retryAfterSeconds: 5,
  sagaDeadlineMs: 30_000,
  marginMs: 10_000,
  budgetFraction: 0.5,
  ageQuorum: 3,
  maxRetryAfterSeconds: 30,
};
const now = Date.UTC(2026, 10, 25, 12);
/** Deadlines of shard heads placed `ages` ms ago, under the settings' deadline. */
const headsAged = (...ages: number[]) => ages.map((age) => now - age + settings.sagaDeadlineMs);

describe('admissionDecision', () => {
  it('accepts below every limit', () => {
    expect(admissionDecision({ now, inFlight: 99, oldestDeadlines: headsAged(9_000, 9_000, 9_000), breaker: { state: 'closed', generation: 2 } }, settings)).toEqual({ shed: false });
  });

  it('sheds on the count from the limit on, with the profile\'s Retry-After', () => {
    expect(admissionDecision({ now, inFlight: 100 }, settings)).toMatchObject({ shed: true, reason: 'count', retryAfterSeconds: 5, figures: { inFlight: 100 } });
    expect(admissionDecision({ now, inFlight: 0 }, { ...settings, maxInFlight: 0 })).toMatchObject({ shed: true, reason: 'count' });
  });

  it('sheds once the quorum of shard heads has spent the fraction of deadline − margin (10 s of 20 s)', () => {
    expect(admissionDecision({ now, oldestDeadlines: headsAged(9_999, 30_000, 30_000) }, settings)).toEqual({ shed: false });

    const decision = admissionDecision({ now, oldestDeadlines: headsAged(10_000, 12_000, 30_000, 1_000) }, settings);

    expect(decision).toMatchObject({ shed: true, reason: 'oldest-age', retryAfterSeconds: 2, figures: { oldestAgeMs: 10_000, limitMs: 10_000 } });
  });

  it('ignores fewer old heads than the quorum: one stuck order does not shut the door', () => {
    expect(admissionDecision({ now, oldestDeadlines: headsAged(600_000, 600_000) }, settings)).toEqual({ shed: false });
  });

  it('measures age against the effective deadline (a run-time override)', () => {
    const longer = { ...settings, sagaDeadlineMs: 300_000 };
    const heads = [0, 0, 0].map(() => now - 100_000 + longer.sagaDeadlineMs);

    expect(admissionDecision({ now, oldestDeadlines: heads }, longer)).toEqual({ shed: false });
    expect(admissionDecision({ now, oldestDeadlines: heads }, { ...longer, budgetFraction: 0.3 })).toMatchObject({ shed: true, reason: 'oldest-age' });
  });

  it('sheds early when the oldest orders move slower than time passes (a burst), predicting age × Δt / ΔP', () => {
    // 4 s ago the heads were placed 3 s ago; now they are 6 s old: ΔP = 1 s in Δt = 4 s, so a new order waits about 24 s.
    const signals = { now, oldestDeadlines: headsAged(6_000, 6_000, 6_000), earlier: { at: now - 4_000, oldestDeadlines: headsAged(7_000, 7_000, 7_000) } };

    expect(admissionDecision(signals, settings)).toMatchObject({ shed: true, reason: 'oldest-age', figures: { oldestAgeMs: 6_000, expectedWaitMs: 24_000 }, retryAfterSeconds: 14 });
  });

  it('does not shed on the trend in the steady state, where the head moves as fast as time', () => {
    const signals = { now, oldestDeadlines: headsAged(8_000, 8_000, 8_000), earlier: { at: now - 5_000, oldestDeadlines: headsAged(13_000, 13_000, 13_000) } };

    expect(admissionDecision(signals, settings)).toEqual({ shed: false });
  });

  it('reads no trend from young heads or readings too close together', () => {
    // The same heads in both readings: nothing finished in between.
    const stuck = (age: number, windowMs: number) => ({ now, oldestDeadlines: headsAged(age, age, age), earlier: { at: now - windowMs, oldestDeadlines: headsAged(age, age, age) } });

    expect(admissionDecision(stuck(2_000, 5_000), settings)).toEqual({ shed: false });
    expect(admissionDecision(stuck(5_000, 1_500), settings)).toEqual({ shed: false });
    // A head that does not move is expected to stay stuck as long again: a new order would wait 2 × its age.
    expect(admissionDecision(stuck(4_900, 5_000), settings)).toEqual({ shed: false });
    expect(admissionDecision(stuck(5_000, 5_000), settings)).toMatchObject({ shed: true, reason: 'oldest-age', retryAfterSeconds: 2, figures: { oldestAgeMs: 5_000, expectedWaitMs: 10_000 } });
    expect(admissionDecision(stuck(8_000, 5_000), settings)).toMatchObject({ shed: true, retryAfterSeconds: 6 });
  });

  it('lets a 60 s outage at the 300 s deadline through: a stuck head is refused only once twice its age passes the 145 s budget', () => {
    const aws = { ...settings, sagaDeadlineMs: 300_000 };
    const stuckFor = (age: number) => {
      const heads = [0, 0, 0].map(() => now - age + aws.sagaDeadlineMs);
      return { now, oldestDeadlines: heads, earlier: { at: now - 5_000, oldestDeadlines: heads } };
    };
    expect(admissionDecision(stuckFor(60_000), aws)).toEqual({ shed: false });
    expect(admissionDecision(stuckFor(72_500), aws)).toMatchObject({ shed: true, reason: 'oldest-age' });
  });

  it('sheds on the breaker once it has been open for the fraction, asking to come back after as long again (capped)', () => {
    const open = (forMs: number) => ({ now, breaker: { state: 'open' as const, generation: 3, openedAt: now - forMs } });

    expect(admissionDecision(open(9_000), settings)).toEqual({ shed: false });
    expect(admissionDecision(open(12_000), settings)).toMatchObject({ shed: true, reason: 'breaker', retryAfterSeconds: 12 });
    expect(admissionDecision(open(600_000), settings)).toMatchObject({ shed: true, reason: 'breaker', retryAfterSeconds: 30 });
  });

  it('names the breaker as the reason when every signal fires', () => {
    const decision = admissionDecision({ now, inFlight: 1_000, oldestDeadlines: headsAged(20_000, 20_000, 20_000), breaker: { state: 'open', generation: 1, openedAt: now - 15_000 } }, settings);

    expect(decision).toMatchObject({ shed: true, reason: 'breaker' });
  });

  it('never sheds on unknown signals, and never asks for more than the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.nat(2_000), { nil: undefined }),
        fc.option(fc.array(fc.integer({ min: -60_000, max: 600_000 }), { maxLength: 16 }), { nil: undefined }),
        fc.option(fc.nat(600_000), { nil: undefined }),
        fc.integer({ min: 20, max: 600 }),
        fc.integer({ min: 1, max: 100 }),
        (inFlight, ages, openFor, deadlineSeconds, percent) => {
          const custom = { ...settings, sagaDeadlineMs: deadlineSeconds * 1000, budgetFraction: percent / 100 };
          const signals = {
            now,
            inFlight,
            oldestDeadlines: ages?.map((age) => now - age + custom.sagaDeadlineMs),
            breaker: openFor === undefined ? undefined : { state: 'open' as const, generation: 1, openedAt: now - openFor },
          };
          const decision = admissionDecision(signals, custom);
          if (inFlight === undefined && ages === undefined && openFor === undefined) expect(decision.shed).toBe(false);
          if (decision.shed) {
            expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            expect(decision.retryAfterSeconds).toBeLessThanOrEqual(custom.maxRetryAfterSeconds);
          }
          // More in flight, older heads or a longer outage never turn a refusal into an acceptance.
          const worse = admissionDecision({ ...signals, inFlight: inFlight === undefined ? undefined : inFlight + 1, oldestDeadlines: signals.oldestDeadlines?.map((deadline) => deadline - 1_000), breaker: signals.breaker && { ...signals.breaker, openedAt: signals.breaker.openedAt - 1_000 } }, custom);
          if (decision.shed) expect(worse.shed).toBe(true);
        },
      ),
    );
  });
});

describe('withEarlierReading', () => {
  it('returns the current heads with a reading between the trend window and the history window before', async () => {
    const clock = new FakeClock();
    const values = [[1, 1], [2, 2], [3, 3], [4, 4]];
    let index = 0;
    const oldest = withEarlierReading(() => Promise.resolve(values[Math.min(index, values.length - 1)]), { clock, windowMs: 10_000, minHeads: 2 });

    expect(await oldest()).toEqual({ oldestDeadlines: [1, 1] });
    index = 1;
    await clock.advance(1_500);
    expect(await oldest()).toEqual({ oldestDeadlines: [2, 2] });
    index = 2;
    await clock.advance(1_000);
    expect(await oldest()).toEqual({ oldestDeadlines: [3, 3], earlier: { at: clock.now() - 2_500, oldestDeadlines: [1, 1] } });
    index = 3;
    await clock.advance(8_000);

    // The first reading is now 10.5 s old, past the window: the oldest kept is the second.
    expect(await oldest()).toEqual({ oldestDeadlines: [4, 4], earlier: { at: clock.now() - 9_000, oldestDeadlines: [2, 2] } });
  });

  it('skips earlier readings that saw fewer shards hold an order than the quorum (before the burst filled them)', async () => {
    const clock = new FakeClock();
    const values = [[1], [1, 2, 3], [1, 2, 3]];
    let index = 0;
    const oldest = withEarlierReading(() => Promise.resolve(values[index]), { clock, windowMs: 10_000, minHeads: 3 });

    await oldest();
    index = 1;
    await clock.advance(1_000);
    await oldest();
    index = 2;
    await clock.advance(2_500);

    expect(await oldest()).toEqual({ oldestDeadlines: [1, 2, 3], earlier: { at: clock.now() - 2_500, oldestDeadlines: [1, 2, 3] } });
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

    const decision = await decideShedding({ backlog: () => (reads++, Promise.resolve(1e6)) }, undefined, now);

    expect(decision).toEqual({ shed: false });
    expect(reads).toBe(0);
  });

  it('sheds nothing when every signal is unknown (fails open)', async () => {
    const unknown = { backlog: () => Promise.resolve(undefined), oldest: () => Promise.resolve({}), breaker: () => Promise.resolve(undefined) };

    expect(await decideShedding(unknown, settings, now)).toEqual({ shed: false });
  });

  it('reads the count up to the limit and decides with every signal', async () => {
    const asked: number[] = [];
    const readers = {
      backlog: (atLeast: number) => (asked.push(atLeast), Promise.resolve(3)),
      oldest: () => Promise.resolve({ oldestDeadlines: headsAged(11_000, 11_000, 11_000) }),
    };

    expect(await decideShedding(readers, settings, now)).toMatchObject({ shed: true, reason: 'oldest-age' });
    expect(asked).toEqual([100]);
  });
});
