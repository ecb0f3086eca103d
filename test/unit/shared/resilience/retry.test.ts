import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deadline } from '#shared/resilience/deadline';
import { DeadlineExceededError } from '#shared/resilience/errors';
import { retryDelayMs, retrying, type RetrySettings } from '#shared/resilience/retry';
import { FakeClock, outcomeOn, settle } from '../../../helpers/fake-clock';

class Unavailable extends Error {}
class Refused extends Error {}

const jittered: RetrySettings = { maxAttempts: 4, backoff: 'full-jitter', baseDelayMs: 100, maxDelayMs: 1_000 };

/** An attempt that fails with the given errors in turn, then succeeds; it records when each attempt started. */
function scripted(clock: FakeClock, failures: Error[]) {
  const startedAt: number[] = [];
  const attempt = (number: number) => {
    startedAt.push(clock.now());
    const failure = failures[number - 1];
    return failure ? Promise.reject(failure) : Promise.resolve(`ok after ${number}`);
  };
  return { attempt, startedAt };
}

const outcome = <T>(promise: Promise<T>, clock: FakeClock) => outcomeOn(promise, clock);

describe('retrying', () => {
  it('retries a retryable failure after a full-jitter wait and returns the success', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const { attempt, startedAt } = scripted(clock, [new Unavailable(), new Unavailable()]);

    const result = await outcome(
      retrying(attempt, { settings: jittered, clock, deadline: Deadline.none(clock), isRetryable: (error) => error instanceof Unavailable, random: () => 0.5 }),
      clock,
    );

    expect(result.value).toBe('ok after 3');
    // Waits of 0.5 · 100 and 0.5 · 200 ms.
    expect(startedAt.map((at) => at - start)).toEqual([0, 50, 150]);
  });

  it('never retries an error that is not retryable', async () => {
    const clock = new FakeClock();
    const refusal = new Refused('no');
    const { attempt, startedAt } = scripted(clock, [refusal]);

    const result = await outcome(retrying(attempt, { settings: jittered, clock, deadline: Deadline.none(clock), isRetryable: (error) => error instanceof Unavailable }), clock);

    expect(result.error).toBe(refusal);
    expect(startedAt).toHaveLength(1);
  });

  it('stops after the maximum attempts and throws the last error', async () => {
    const clock = new FakeClock();
    const failures = [1, 2, 3, 4, 5].map((number) => new Unavailable(`failure ${number}`));
    const { attempt, startedAt } = scripted(clock, failures);

    const result = await outcome(retrying(attempt, { settings: jittered, clock, deadline: Deadline.none(clock), isRetryable: () => true }), clock);

    expect(startedAt).toHaveLength(4);
    expect(result.error).toBe(failures[3]);
  });

  it('retries immediately when the backoff is immediate (the naive loop)', async () => {
    const clock = new FakeClock();
    const { attempt, startedAt } = scripted(clock, [new Unavailable(), new Unavailable()]);

    const result = await outcome(
      retrying(attempt, { settings: { maxAttempts: 3, backoff: 'immediate', baseDelayMs: 0, maxDelayMs: 0 }, clock, deadline: Deadline.none(clock), isRetryable: () => true }),
      clock,
    );

    expect(result.value).toBe('ok after 3');
    expect(new Set(startedAt).size).toBe(1);
  });

  it('gives up rather than wait past the deadline, keeping the last error', async () => {
    const clock = new FakeClock();
    const last = new Unavailable('still down');
    const { attempt, startedAt } = scripted(clock, [new Unavailable(), last, new Unavailable()]);
    // After the first wait (≈ 100 ms) 120 ms are left; the second (≈ 200 ms) would end past the deadline.
    const deadline = Deadline.earliest(clock, clock.now() + 220);

    const result = await outcome(retrying(attempt, { settings: jittered, clock, deadline, isRetryable: () => true, random: () => 0.999 }), clock);

    expect(startedAt).toHaveLength(2);
    expect(result.error).toBe(last);
  });

  it('does not start when less than the minimum attempt time is left', async () => {
    const clock = new FakeClock();
    const { attempt, startedAt } = scripted(clock, []);

    const result = await outcome(
      retrying(attempt, { settings: jittered, clock, deadline: Deadline.earliest(clock, clock.now() + 50), isRetryable: () => true, minAttemptMs: 100 }),
      clock,
    );

    expect(result.error).toBeInstanceOf(DeadlineExceededError);
    expect(startedAt).toHaveLength(0);
  });

  it('reports each retry before waiting', async () => {
    const clock = new FakeClock();
    const { attempt } = scripted(clock, [new Unavailable('first')]);
    const retries: { attempt: number; delayMs: number }[] = [];

    const pending = retrying(attempt, {
      settings: jittered,
      clock,
      deadline: Deadline.none(clock),
      isRetryable: () => true,
      random: () => 0.5,
      onRetry: ({ attempt: number, delayMs }) => retries.push({ attempt: number, delayMs }),
    });
    await settle();

    expect(retries).toEqual([{ attempt: 1, delayMs: 50 }]);
    await clock.advance(50);
    await expect(pending).resolves.toBe('ok after 2');
  });
});

describe('retryDelayMs, properties', () => {
  it('is always within [0, min(cap, base · 2^(retry-1))) with full jitter, and 0 when immediate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, baseDelayMs, maxDelayMs, random) => {
          const delay = retryDelayMs({ maxAttempts: 99, backoff: 'full-jitter', baseDelayMs, maxDelayMs }, retry, () => random);
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(retryDelayMs({ maxAttempts: 99, backoff: 'immediate', baseDelayMs, maxDelayMs }, retry, () => random)).toBe(0);
        },
      ),
    );
  });
});
