import { describe, expect, it } from 'vitest';
import { activeResilienceProfile, InvalidResilienceProfileError, resilienceProfile, resilienceProfileNames } from '#shared/resilience/profiles';

/** What each profile switches on, as docs/resilience.md's table says. */
function patterns(name?: string) {
  const settings = resilienceProfile(name);
  return {
    attempts: settings.retry.maxAttempts,
    backoff: settings.retry.backoff,
    callTimeout: settings.callTimeoutMs !== undefined,
    deadline: settings.overallDeadline,
    redeliveryBackoff: settings.redelivery !== undefined,
    breaker: settings.circuitBreaker !== undefined,
    bulkhead: settings.bulkhead !== undefined,
    shedding: settings.loadShedding !== undefined,
    keysAlways: settings.alwaysSendIdempotencyKeys,
  };
}

describe('resilience profiles', () => {
  it('adds one pattern per profile, from none to full', () => {
    expect(resilienceProfileNames.map((name) => [name, patterns(name)])).toEqual([
      ['none', { attempts: 1, backoff: 'immediate', callTimeout: false, deadline: false, redeliveryBackoff: false, breaker: false, bulkhead: false, shedding: false, keysAlways: false }],
      ['retries', { attempts: 3, backoff: 'immediate', callTimeout: false, deadline: false, redeliveryBackoff: false, breaker: false, bulkhead: false, shedding: false, keysAlways: false }],
      ['timeouts', { attempts: 3, backoff: 'full-jitter', callTimeout: true, deadline: true, redeliveryBackoff: true, breaker: false, bulkhead: false, shedding: false, keysAlways: false }],
      ['breaker', { attempts: 3, backoff: 'full-jitter', callTimeout: true, deadline: true, redeliveryBackoff: true, breaker: true, bulkhead: false, shedding: false, keysAlways: false }],
      ['bulkhead', { attempts: 3, backoff: 'full-jitter', callTimeout: true, deadline: true, redeliveryBackoff: true, breaker: true, bulkhead: true, shedding: true, keysAlways: false }],
      ['full', { attempts: 3, backoff: 'full-jitter', callTimeout: true, deadline: true, redeliveryBackoff: true, breaker: true, bulkhead: true, shedding: true, keysAlways: true }],
    ]);
  });

  it('is full when none is named (the production default)', () => {
    expect(resilienceProfile(undefined).profile).toBe('full');
  });

  it('takes the per-call timeout the deployment configures', () => {
    expect(resilienceProfile('timeouts', { callTimeoutMs: 1_234 }).callTimeoutMs).toBe(1_234);
    expect(resilienceProfile('retries', { callTimeoutMs: 1_234 }).callTimeoutMs).toBeUndefined();
  });

  it('applies overrides after the name, for experiments', () => {
    const settings = resilienceProfile('full, maxBacklog=0, attempts=5, timeoutMs=250, redeliveryMaxSeconds=3');

    expect(settings.loadShedding?.maxBacklog).toBe(0);
    expect(settings.redelivery).toEqual({ firstSeconds: 2, maxSeconds: 3 });
    expect(settings.retry.maxAttempts).toBe(5);
    expect(settings.callTimeoutMs).toBe(250);
  });

  it('ignores an override of a pattern the profile does not have', () => {
    const settings = resilienceProfile('retries,timeoutMs=250,maxBacklog=3,redeliveryMaxSeconds=3');

    expect(settings.callTimeoutMs).toBeUndefined();
    expect(settings.redelivery).toBeUndefined();
    expect(settings.loadShedding).toBeUndefined();
  });

  it('rejects an unknown name or parameter', () => {
    expect(() => resilienceProfile('fullest')).toThrow(InvalidResilienceProfileError);
    expect(() => resilienceProfile('full,jitter=1')).toThrow(/invalid resilience profile parameter "jitter=1"/);
    expect(() => resilienceProfile('full,attempts=-1')).toThrow(InvalidResilienceProfileError);
    expect(() => resilienceProfile('full,attempts=')).toThrow(InvalidResilienceProfileError);
  });

  it('falls back to the default for an invalid name at run time, reporting it', () => {
    const problems: string[] = [];

    const settings = activeResilienceProfile('nonee', { onInvalid: (error) => problems.push(error.message) });

    expect(settings.profile).toBe('full');
    expect(problems).toEqual(['unknown resilience profile "nonee" (known: none, retries, timeouts, breaker, bulkhead, full)']);
  });
});
