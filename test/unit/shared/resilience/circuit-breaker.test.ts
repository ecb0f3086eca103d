import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerSettings, type CircuitPermit, type CircuitTransition } from '#shared/resilience/circuit-breaker';
import { CircuitOpenError } from '#shared/resilience/errors';
import { FakeClock } from '../../../helpers/fake-clock';

const settings: CircuitBreakerSettings = { windowMs: 10_000, minimumCalls: 4, failureRateThreshold: 0.5, cooldownMs: 5_000, trialCalls: 2 };

function breaker(overrides: Partial<CircuitBreakerSettings> = {}) {
  const clock = new FakeClock();
  const transitions: CircuitTransition[] = [];
  const subject = new CircuitBreaker('provider', { ...settings, ...overrides }, clock, (transition) => transitions.push(transition));
  const call = (outcome: 'succeeded' | 'failed') => subject.acquire()[outcome]();
  return { clock, subject, transitions, call };
}

function refused(action: () => unknown): CircuitOpenError {
  try {
    action();
  } catch (error) {
    if (error instanceof CircuitOpenError) return error;
    throw error;
  }
  throw new Error('expected the breaker to refuse');
}

describe('CircuitBreaker, closed', () => {
  it('stays closed while fewer calls than the minimum were made, however many failed', () => {
    const { subject, call } = breaker();

    for (let i = 0; i < 3; i++) call('failed');

    expect(subject.state).toBe('closed');
  });

  it('opens when the failure rate in the window reaches the threshold', () => {
    const { subject, transitions, call } = breaker();

    call('succeeded');
    call('succeeded');
    call('failed');
    expect(subject.state).toBe('closed');
    call('failed');

    expect(subject.state).toBe('open');
    expect(transitions).toEqual([{ breaker: 'provider', from: 'closed', to: 'open', reason: '2 of the last 4 calls failed within 10000 ms (2 errors, 0 timeouts)' }]);
  });

  it('opens after the configured failures in a row even when the window\'s earlier successes keep the rate below the threshold', () => {
    const { subject, call, transitions } = breaker({ consecutiveFailures: 3 });
    const outcomes = [...Array<'succeeded'>(10).fill('succeeded'), 'failed', 'failed', 'succeeded', 'failed', 'failed'] as const;
    outcomes.forEach(call);
    expect(subject.state).toBe('closed');

    call('failed');

    expect(subject.state).toBe('open');
    expect(transitions.at(-1)?.reason).toBe('the last 3 calls failed in a row (3 errors, 0 timeouts)');
    // Without the setting, the rate alone: 5 failures of 16 calls stay closed.
    const rateOnly = breaker();
    for (let index = 0; index < 10; index++) rateOnly.call('succeeded');
    for (let index = 0; index < 5; index++) rateOnly.call('failed');
    expect(rateOnly.subject.state).toBe('closed');
  });

  it('forgets outcomes older than the rolling window', async () => {
    const { clock, subject, call } = breaker();
    call('failed');
    call('failed');
    call('failed');

    await clock.advance(10_001);
    call('failed');
    call('succeeded');
    call('succeeded');
    call('succeeded');

    expect(subject.state).toBe('closed');
    expect(subject.failureRate()).toBe(0.25);
  });

  it('counts neither success nor failure for a released permit', () => {
    const { subject } = breaker();

    for (let i = 0; i < 10; i++) subject.acquire().released();

    expect(subject.failureRate()).toBe(0);
  });
});

describe('CircuitBreaker, open', () => {
  const opened = () => {
    const fixture = breaker();
    for (let i = 0; i < 4; i++) fixture.call('failed');
    return fixture;
  };

  it('refuses every call during the cooldown, saying when a trial may go', async () => {
    const { clock, subject } = opened();
    const openedAt = clock.now();

    await clock.advance(4_999);
    const error = refused(() => subject.acquire());

    expect(error.retryAt).toBe(openedAt + 5_000);
    expect(error.message).toMatch(/circuit breaker provider is open/);
  });

  it('says how long it stays open, for the redelivery backoff of the messages it refused', async () => {
    const { clock, subject } = opened();

    expect(subject.openForMs()).toBe(5_000);
    await clock.advance(3_000);
    expect(subject.openForMs()).toBe(2_000);
    await clock.advance(2_000);
    expect(subject.openForMs()).toBe(0);
    expect(breaker().subject.openForMs()).toBe(0);
  });

  it('lets trial calls through once the cooldown is over (half-open), up to the trial count', async () => {
    const { clock, subject, transitions } = opened();

    await clock.advance(5_000);
    subject.acquire();
    subject.acquire();

    expect(subject.state).toBe('half-open');
    expect(transitions.map((transition) => transition.to)).toEqual(['open', 'half-open']);
    refused(() => subject.acquire());
  });

  it('closes when every trial call succeeds, with a fresh window', async () => {
    const { clock, subject, transitions } = opened();
    await clock.advance(5_000);

    const trials = [subject.acquire(), subject.acquire()];
    trials[0]!.succeeded();
    expect(subject.state).toBe('half-open');
    trials[1]!.succeeded();

    expect(subject.state).toBe('closed');
    expect(subject.failureRate()).toBe(0);
    expect(transitions.map((transition) => transition.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again for a whole cooldown when a trial call fails', async () => {
    const { clock, subject, transitions } = opened();
    await clock.advance(5_000);

    subject.acquire().failed();

    expect(subject.state).toBe('open');
    expect(transitions.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'a trial call failed' });
    await clock.advance(4_999);
    refused(() => subject.acquire());
  });

  it('frees the trial slot of a released trial permit', async () => {
    const { clock, subject } = opened();
    await clock.advance(5_000);

    subject.acquire().released();
    subject.acquire();
    subject.acquire();

    expect(subject.state).toBe('half-open');
  });

  it('ignores the late outcome of a call let through before it opened', async () => {
    const { clock, subject, call } = breaker();
    const slow = subject.acquire();
    for (let i = 0; i < 4; i++) call('failed');
    await clock.advance(5_000);
    const trial = subject.acquire();

    slow.succeeded();
    slow.failed();

    expect(subject.state).toBe('half-open');
    trial.succeeded();
    subject.acquire().succeeded();
    expect(subject.state).toBe('closed');
  });
});

describe('CircuitBreaker, properties', () => {
  type Step = { kind: 'acquire' } | { kind: 'settle'; index: number; outcome: 'succeeded' | 'failed' | 'released' } | { kind: 'wait'; ms: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.constant<Step>({ kind: 'acquire' }),
    fc.record({ kind: fc.constant('settle' as const), index: fc.nat(50), outcome: fc.constantFrom('succeeded' as const, 'failed' as const, 'released' as const) }),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 7_000 }) }),
  );

  it('never has more than the trial count of calls in flight while half-open, and only legal transitions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 120 }), fc.integer({ min: 1, max: 3 }), async (steps, trialCalls) => {
        const { clock, subject, transitions } = breaker({ trialCalls });
        const open: { permit: CircuitPermit; acquiredIn: string }[] = [];
        for (const current of steps) {
          if (current.kind === 'wait') await clock.advance(current.ms);
          else if (current.kind === 'acquire') {
            const stateBefore = subject.state;
            try {
              open.push({ permit: subject.acquire(), acquiredIn: stateBefore });
            } catch (error) {
              expect(error).toBeInstanceOf(CircuitOpenError);
              expect(stateBefore).not.toBe('closed');
            }
          } else if (open.length > 0) {
            const [taken] = open.splice(current.index % open.length, 1);
            taken!.permit[current.outcome]();
          }
          if (subject.state === 'half-open') {
            expect(open.filter((entry) => entry.acquiredIn === 'half-open').length).toBeLessThanOrEqual(trialCalls);
          }
        }
        const legal = new Set(['closed>open', 'open>half-open', 'half-open>open', 'half-open>closed']);
        for (const transition of transitions) expect(legal.has(`${transition.from}>${transition.to}`)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
