import type { Clock } from './clock';
import { CallTimeoutError } from './errors';

/**
 * The point in time by which a unit of work must be done, whatever it takes
 * inside: every attempt, backoff and queue wait is measured against it. It is
 * the earliest of the limits that apply, e.g. the Lambda invocation's end
 * minus a margin for the writes that follow the call, and the saga deadline.
 */
export class Deadline {
  private constructor(
    private readonly clock: Clock,
    /** Milliseconds since the epoch; Infinity for "none". */
    readonly at: number,
  ) {}

  /** The earliest of the given instants (undefined ones are ignored); none given means no deadline. */
  static earliest(clock: Clock, ...instants: (number | undefined)[]): Deadline {
    return new Deadline(clock, Math.min(Infinity, ...instants.filter((at): at is number => at !== undefined && !Number.isNaN(at))));
  }

  static none(clock: Clock): Deadline {
    return new Deadline(clock, Infinity);
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  get expired(): boolean {
    return this.remainingMs() === 0;
  }

  /** A per-call timeout under this deadline: `perCallMs`, or less when the deadline comes first. */
  capped(perCallMs: number): number {
    return Math.min(perCallMs, this.remainingMs());
  }
}

/**
 * Runs `call` with a signal that aborts after `timeoutMs` (the call should
 * pass it on, e.g. to fetch), and rejects with CallTimeoutError at that
 * moment even if the call ignores the signal: the caller's time is what the
 * timeout protects.
 */
export async function withTimeout<T>(clock: Clock, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timedOut = new CallTimeoutError(timeoutMs);
  let cancelTimer = () => {};
  const timer = new Promise<never>((_, reject) => {
    cancelTimer = clock.setTimer(timeoutMs, () => {
      controller.abort(timedOut);
      reject(timedOut);
    });
  });
  try {
    return await Promise.race([call(controller.signal), timer]);
  } catch (error) {
    // fetch rejects with the abort reason, or with its own AbortError on some runtimes: either way it was our timeout.
    if (controller.signal.aborted) throw timedOut;
    throw error;
  } finally {
    cancelTimer();
  }
}
