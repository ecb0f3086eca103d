import type { Clock } from '../../functions/shared/resilience/clock';

/** Lets every pending promise callback run (timers of the real clock are not involved). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that moves only when the test says so: `advance` fires the timers
 * that fall due, in time order, letting promise callbacks run in between, so
 * a retry loop or a bulkhead queue behaves as it would in real time.
 */
export class FakeClock implements Clock {
  private time: number;
  private sequence = 0;
  private timers: { at: number; sequence: number; callback: () => void }[] = [];

  constructor(start = Date.UTC(2026, 10, 25, 12)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), sequence: this.sequence++, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((candidate) => candidate !== timer);
    };
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.sequence - b.sequence)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = target;
    await settle();
  }
}

/** How a promise that waits on `clock` settles once the clock has moved `ms` on: its value or its error, never a rejection. */
export async function outcomeOn<T>(promise: Promise<T>, clock: FakeClock, ms = 60_000): Promise<{ value?: T; error?: unknown }> {
  const result: { value?: T; error?: unknown } = {};
  const done = promise.then(
    (value) => (result.value = value),
    (error: unknown) => (result.error = error),
  );
  await clock.advance(ms);
  await done;
  return result;
}
