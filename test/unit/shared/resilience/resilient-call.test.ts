import { describe, expect, it } from 'vitest';
import type { CircuitTransition } from '#shared/resilience/circuit-breaker';
import { Deadline } from '#shared/resilience/deadline';
import { BulkheadFullError, CallTimeoutError, CircuitOpenError, SharedCircuitOpenError } from '#shared/resilience/errors';
import { resilienceProfile } from '#shared/resilience/profiles';
import { resilientCaller } from '#shared/resilience/resilient-call';
import { FakeClock, outcomeOn, settle } from '../../../helpers/fake-clock';

class Unavailable extends Error {}
class Refused extends Error {}

function fixture() {
  const clock = new FakeClock();
  const transitions: CircuitTransition[] = [];
  const refusals: (CircuitOpenError | SharedCircuitOpenError)[] = [];
  const caller = resilientCaller('provider', {
    clock,
    random: () => 0.5,
    hooks: { onTransition: (transition) => transitions.push(transition), onBreakerRefusal: (error) => refusals.push(error) },
  });
  return { clock, caller, transitions, refusals };
}

const isRetryable = (error: unknown) => error instanceof Unavailable || error instanceof CallTimeoutError;

describe('resilientCaller', () => {
  it('asks the shared breaker before every attempt: an open one refuses untried, once, and a closed one lets the retries run', async () => {
    const clock = new FakeClock();
    let sharedOpen = false;
    let asked = 0;
    const refusals: unknown[] = [];
    const caller = resilientCaller('provider', {
      clock,
      random: () => 0.5,
      hooks: { onBreakerRefusal: (error) => refusals.push(error) },
      sharedRefusal: async () => (asked++, sharedOpen ? 'the shared provider breaker is open (generation 1)' : undefined),
    });
    let attempts = 0;
    // The first attempt fails, and before the retry another environment opens the shared breaker.
    const failing = () => (attempts++, (sharedOpen = true), Promise.reject(new Unavailable()));

    const refused = await outcomeOn(caller.call(failing, { settings: resilienceProfile('full'), deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }), clock);

    expect(refused.error).toBeInstanceOf(SharedCircuitOpenError);
    expect((refused.error as Error).message).toBe('authorize refused without trying: the shared provider breaker is open (generation 1)');
    expect(attempts).toBe(1);
    expect(asked).toBe(2);
    // Counted like this environment's own breaker's refusals (the CircuitBreakerOpen metric and its alarm).
    expect(refusals).toEqual([refused.error]);
    expect((refused.error as SharedCircuitOpenError).breaker).toBe('provider');

    sharedOpen = false;
    attempts = 0;
    const passed = await outcomeOn(caller.call(() => (attempts++, Promise.resolve('ok')), { settings: resilienceProfile('full'), deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }), clock);
    expect(passed.value).toBe('ok');
    expect(attempts).toBe(1);
  });

  it('makes one attempt and no more under the none profile', async () => {
    const { clock, caller } = fixture();
    let attempts = 0;

    const result = await outcomeOn(
      caller.call(() => (attempts++, Promise.reject(new Unavailable())), { settings: resilienceProfile('none'), deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }),
      clock,
    );

    expect(result.error).toBeInstanceOf(Unavailable);
    expect(attempts).toBe(1);
  });

  it('times out each attempt and retries it, under the timeouts profile', async () => {
    const { clock, caller } = fixture();
    const signals: (AbortSignal | undefined)[] = [];
    const settings = resilienceProfile('timeouts', { callTimeoutMs: 1_000 });

    const result = await outcomeOn(
      caller.call(({ signal }) => (signals.push(signal), new Promise<string>(() => {})), { settings, deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }),
      clock,
    );

    expect(result.error).toBeInstanceOf(CallTimeoutError);
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal?.aborted)).toBe(true);
  });

  it('caps the per-call timeout at what is left of the overall deadline', async () => {
    const { clock, caller } = fixture();
    const start = clock.now();
    const settings = resilienceProfile('timeouts', { callTimeoutMs: 3_000 });
    const deadline = Deadline.earliest(clock, start + 1_200);

    const result = await outcomeOn(caller.call(() => new Promise<string>(() => {}), { settings, deadline, isRetryable, operation: 'authorize' }), clock, 10_000);

    expect(result.error).toMatchObject({ name: 'CallTimeoutError', timeoutMs: 1_200 });
  });

  it('does not retry a refusal and does not count it against the provider', async () => {
    const { clock, caller, transitions } = fixture();
    const settings = resilienceProfile('breaker');
    let attempts = 0;

    for (let i = 0; i < 10; i++) {
      const result = await outcomeOn(
        caller.call(() => (attempts++, Promise.reject(new Refused())), { settings, deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }),
        clock,
        0,
      );
      expect(result.error).toBeInstanceOf(Refused);
    }

    expect(attempts).toBe(10);
    expect(transitions).toEqual([]);
  });

  it('opens the breaker on repeated failures, then refuses at once without retrying or calling', async () => {
    const { clock, caller, transitions, refusals } = fixture();
    const settings = resilienceProfile('breaker');
    let attempts = 0;
    const failing = () => (attempts++, Promise.reject(new Unavailable()));

    // Three attempts per call: the second call's second attempt is the fifth failure of five in the window (the minimum).
    await outcomeOn(caller.call(failing, { settings, deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }), clock, 1_000);
    const second = await outcomeOn(caller.call(failing, { settings, deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }), clock, 1_000);
    const before = attempts;
    const third = await outcomeOn(caller.call(failing, { settings, deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }), clock, 0);

    expect(attempts).toBe(5);
    expect(transitions.map((transition) => transition.to)).toEqual(['open']);
    expect(second.error).toBeInstanceOf(CircuitOpenError);
    expect(third.error).toBeInstanceOf(CircuitOpenError);
    expect(attempts).toBe(before);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(caller.breakerState(settings)).toBe('open');
  });

  it('closes the breaker again after the cooldown when the trial calls succeed', async () => {
    const { clock, caller, transitions } = fixture();
    const settings = resilienceProfile('breaker');
    const options = { settings, deadline: Deadline.none(clock), isRetryable, operation: 'authorize' };
    for (let i = 0; i < 2; i++) await outcomeOn(caller.call(() => Promise.reject(new Unavailable()), options), clock, 1_000);
    expect(caller.breakerState(settings)).toBe('open');

    await clock.advance(settings.circuitBreaker!.cooldownMs);
    const results = await Promise.all([caller.call(() => Promise.resolve('a'), options), caller.call(() => Promise.resolve('b'), options)]);

    expect(results).toEqual(['a', 'b']);
    expect(transitions.map((transition) => transition.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('limits concurrent calls with the bulkhead and refuses what cannot wait', async () => {
    const { clock, caller } = fixture();
    const settings = { ...resilienceProfile('bulkhead'), bulkhead: { maxConcurrent: 2, maxQueued: 1, maxWaitMs: 500 } };
    let inProgress = 0;
    let most = 0;
    const slow = () =>
      new Promise<string>((resolve) => {
        most = Math.max(most, ++inProgress);
        clock.setTimer(200, () => (inProgress--, resolve('done')));
      });

    const calls = [1, 2, 3, 4].map(() => caller.call(slow, { settings, deadline: Deadline.none(clock), isRetryable, operation: 'authorize' }).catch((error: unknown) => error));
    await settle();
    await clock.advance(10_000);
    const outcomes = await Promise.all(calls);

    expect(most).toBe(2);
    expect(outcomes.filter((outcome) => outcome === 'done')).toHaveLength(3);
    expect(outcomes.filter((outcome) => outcome instanceof BulkheadFullError)).toHaveLength(1);
  });
});
