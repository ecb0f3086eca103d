import type { BulkheadSettings } from './bulkhead';
import type { CircuitBreakerSettings } from './circuit-breaker';
import { defaultRedeliveryBackoff, type RedeliveryBackoff } from './redelivery-backoff';
import type { RetrySettings } from './retry';

/**
 * The resilience profiles, switchable at run time through the region's
 * control document (`resilienceProfile`, functions/shared/controls.ts), so an
 * experiment can compare them on one deployment without a redeploy. Each adds
 * one pattern to the one before; `full` is the production default. The table
 * and the reasons for each value are in docs/resilience.md.
 */
export const resilienceProfileNames = ['none', 'retries', 'timeouts', 'breaker', 'bulkhead', 'full'] as const;
export type ResilienceProfileName = (typeof resilienceProfileNames)[number];
export const defaultResilienceProfile: ResilienceProfileName = 'full';

export interface LoadSheddingProfile {
  /** Overrides the deployed threshold (the API's LOAD_SHED_MAX_IN_FLIGHT) when set. */
  maxBacklog?: number;
  retryAfterSeconds: number;
}

export interface ResilienceSettings {
  profile: ResilienceProfileName;
  retry: RetrySettings;
  /** Per provider call; undefined: none, only the Lambda timeout ends a hung call. */
  callTimeoutMs?: number;
  /** Whether retries and calls are bounded by the invocation's overall deadline. */
  overallDeadline: boolean;
  /**
   * The outer retry: when SQS delivers a failed message again (redelivery-backoff.ts).
   * Undefined: after the queue's visibility timeout (66 s), as a consumer that does nothing about it gets.
   */
  redelivery?: RedeliveryBackoff;
  circuitBreaker?: CircuitBreakerSettings;
  bulkhead?: BulkheadSettings;
  /** At the orders API. */
  loadShedding?: LoadSheddingProfile;
  /**
   * Idempotency-Keys go to the provider whatever the controls say. Only the
   * experiment's naive profiles may switch them off (`providerIdempotency:
   * false`), to show the duplicate charges retries then cause.
   */
  alwaysSendIdempotencyKeys: boolean;
}

export const defaultCallTimeoutMs = 3_000;

const noRetry: RetrySettings = { maxAttempts: 1, backoff: 'immediate', baseDelayMs: 0, maxDelayMs: 0 };
/** The naive loop: three attempts back to back. */
const immediateRetries: RetrySettings = { maxAttempts: 3, backoff: 'immediate', baseDelayMs: 0, maxDelayMs: 0 };
/** Three attempts with full jitter: waits in [0, 100) then [0, 200) ms; the SQS redelivery is the slower, outer retry. */
const jitteredRetries: RetrySettings = { maxAttempts: 3, backoff: 'full-jitter', baseDelayMs: 100, maxDelayMs: 1_000 };
/**
 * Tuned to notice an outage (nearly every attempt failing), not a degraded
 * provider that the retries get through: at a 50 % error rate, three
 * attempts still succeed 7 times in 8, and opening would turn that into SQS
 * redeliveries. Attempts are counted, and the state is per execution
 * environment, which sees only its share of the traffic: so a small minimum
 * and a long window, or an outage would never be noticed. And 8 failures in
 * a row open it whatever the window held before, so an outage under load is
 * called after 8 calls, not after three times as many as the window's
 * successes (at a 20 % error rate, 8 in a row is one chance in 390,000 per
 * call; at 50 %, one in 256, and a trip then costs a pause and a probe, not
 * an order).
 */
const breaker: CircuitBreakerSettings = { windowMs: 60_000, minimumCalls: 5, failureRateThreshold: 0.75, consecutiveFailures: 8, cooldownMs: 10_000, trialCalls: 2 };
// A batch (≤ 10 records) never fills the queue; a record waits for a slot as long as its deadline allows.
const bulkhead: BulkheadSettings = { maxConcurrent: 4, maxQueued: 16, maxWaitMs: 10_000 };
const shedding: LoadSheddingProfile = { retryAfterSeconds: 5 };

function profileSettings(name: ResilienceProfileName, callTimeoutMs: number): ResilienceSettings {
  const none: ResilienceSettings = { profile: name, retry: noRetry, overallDeadline: false, alwaysSendIdempotencyKeys: false };
  switch (name) {
    case 'none':
      return none;
    case 'retries':
      return { ...none, retry: immediateRetries };
    case 'timeouts':
      return { ...none, retry: jitteredRetries, callTimeoutMs, overallDeadline: true, redelivery: defaultRedeliveryBackoff };
    case 'breaker':
      return { ...profileSettings('timeouts', callTimeoutMs), profile: name, circuitBreaker: breaker };
    case 'bulkhead':
      return { ...profileSettings('breaker', callTimeoutMs), profile: name, bulkhead, loadShedding: shedding };
    case 'full':
      return { ...profileSettings('bulkhead', callTimeoutMs), profile: name, alwaysSendIdempotencyKeys: true };
  }
}

export class InvalidResilienceProfileError extends Error {
  override readonly name = 'InvalidResilienceProfileError';
}

const overrides = {
  /** Attempts per call (1 = no in-process retry). */
  attempts: (settings: ResilienceSettings, value: number) => ({ ...settings, retry: { ...settings.retry, maxAttempts: Math.max(1, value) } }),
  /** Per-call timeout, for profiles that have one. */
  timeoutMs: (settings: ResilienceSettings, value: number) => (settings.callTimeoutMs === undefined ? settings : { ...settings, callTimeoutMs: Math.max(1, value) }),
  /** The longest wait before SQS redelivers a failed message, for profiles that back off (the drill shortens it to fill the DLQ). */
  redeliveryMaxSeconds: (settings: ResilienceSettings, value: number) =>
    settings.redelivery ? { ...settings, redelivery: { ...settings.redelivery, maxSeconds: Math.max(1, value) } } : settings,
  /** The API's load-shedding threshold, for profiles that shed. */
  maxBacklog: (settings: ResilienceSettings, value: number) =>
    settings.loadShedding ? { ...settings, loadShedding: { ...settings.loadShedding, maxBacklog: value } } : settings,
} satisfies Record<string, (settings: ResilienceSettings, value: number) => ResilienceSettings>;

/**
 * The settings of a profile. `name` is a profile name, optionally followed by
 * overrides for an experiment, e.g. `full,maxBacklog=50` or `retries,attempts=5`
 * (keys: attempts, timeoutMs, redeliveryMaxSeconds, maxBacklog; whole numbers). Undefined means
 * `full`. Throws InvalidResilienceProfileError for an unknown name or key.
 */
export function resilienceProfile(name?: string, options: { callTimeoutMs?: number } = {}): ResilienceSettings {
  const [base = '', ...parameters] = (name ?? defaultResilienceProfile).split(',').map((part) => part.trim());
  if (!(resilienceProfileNames as readonly string[]).includes(base)) {
    throw new InvalidResilienceProfileError(`unknown resilience profile "${base}" (known: ${resilienceProfileNames.join(', ')})`);
  }
  let settings = profileSettings(base as ResilienceProfileName, options.callTimeoutMs ?? defaultCallTimeoutMs);
  for (const parameter of parameters) {
    const [key = '', raw = ''] = parameter.split('=');
    const value = Number(raw);
    if (!(key in overrides) || raw === '' || !Number.isSafeInteger(value) || value < 0) {
      throw new InvalidResilienceProfileError(`invalid resilience profile parameter "${parameter}" (known: ${Object.keys(overrides).join(', ')}, each =<whole number>)`);
    }
    settings = overrides[key as keyof typeof overrides](settings, value);
  }
  return settings;
}

/**
 * The profile the controls ask for, or the default when they name one that
 * does not exist: a typo in an operator's command must not take the payment
 * path down. `onInvalid` gets the error, to log it.
 */
export function activeResilienceProfile(name: string | undefined, options: { callTimeoutMs?: number; onInvalid?(error: InvalidResilienceProfileError): void } = {}): ResilienceSettings {
  try {
    return resilienceProfile(name, options);
  } catch (error) {
    if (!(error instanceof InvalidResilienceProfileError)) throw error;
    options.onInvalid?.(error);
    return resilienceProfile(undefined, options);
  }
}
