import { backoffDelayMs } from '../retry';
import { sleep, type Clock } from './clock';
import type { Deadline } from './deadline';
import { DeadlineExceededError } from './errors';

export interface RetrySettings {
  /** Attempts in all, the first included; 1 means no retry. */
  maxAttempts: number;
  /**
   * `immediate`: retry at once (the naive retry loop, kept to show what it does
   * to a struggling provider). `full-jitter`: wait a random time in
   * [0, min(maxDelayMs, baseDelayMs · 2^retry)) first, so that many clients
   * that failed together do not come back together.
   */
  backoff: 'immediate' | 'full-jitter';
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryOptions {
  settings: RetrySettings;
  clock: Clock;
  /** Every attempt and every wait must end before it. */
  deadline: Deadline;
  /** Only these errors are retried; any other ends the loop at once. */
  isRetryable(error: unknown): boolean;
  /** Less time than this left after the wait is not worth an attempt. @default 0 */
  minAttemptMs?: number;
  /** For jitter; injected so that tests are deterministic. @default Math.random */
  random?: () => number;
  onRetry?(retry: { attempt: number; delayMs: number; error: unknown }): void;
}

/** The wait before retry number `retry` (1 = the first retry). Pure. */
export function retryDelayMs(settings: RetrySettings, retry: number, random: () => number): number {
  return settings.backoff === 'immediate' ? 0 : backoffDelayMs(retry - 1, settings.baseDelayMs, settings.maxDelayMs, random);
}

/**
 * Calls `attempt` until it succeeds, fails with an error that is not
 * retryable, runs out of attempts, or the next wait plus a useful attempt
 * would not fit before the deadline. The last error is the one thrown, so the
 * caller sees why the work failed, not that the retries ended.
 */
export async function retrying<T>(attempt: (number: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { settings, clock, deadline } = options;
  const random = options.random ?? Math.random;
  const minAttemptMs = options.minAttemptMs ?? 0;
  if (deadline.remainingMs() <= minAttemptMs) throw new DeadlineExceededError('no time left before the deadline for a first attempt');
  for (let number = 1; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      if (number >= settings.maxAttempts || !options.isRetryable(error)) throw error;
      const delayMs = retryDelayMs(settings, number, random);
      if (deadline.remainingMs() - delayMs <= minAttemptMs) throw error;
      options.onRetry?.({ attempt: number, delayMs, error });
      if (delayMs > 0) await sleep(clock, delayMs);
    }
  }
}
