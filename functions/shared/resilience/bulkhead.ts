import type { Clock } from './clock';
import { BulkheadFullError } from './errors';

export interface BulkheadSettings {
  /** Calls in progress at once. */
  maxConcurrent: number;
  /** Calls waiting for a slot at once; one more is refused at once. */
  maxQueued: number;
  /** How long a call may wait for a slot (less if its deadline comes first). */
  maxWaitMs: number;
}

interface Waiter {
  grant(): void;
}

/**
 * An in-process bulkhead: a semaphore with a short, bounded queue. One
 * execution environment processes a whole SQS batch in parallel; this keeps
 * it from opening more connections to the provider than the provider (and
 * the function's own time budget) can take, while the event source mapping's
 * maximum concurrency bounds how many environments do so. A call that cannot
 * get a slot in time is refused with BulkheadFullError (retryable), not left
 * to time out.
 */
export class Bulkhead {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly name: string,
    readonly settings: BulkheadSettings,
    private readonly clock: Clock,
  ) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Waits up to `maxWaitMs` (or `waitAtMostMs`, if shorter) for a slot; the returned function gives it back. */
  async acquire(waitAtMostMs = Infinity): Promise<() => void> {
    if (this.active < this.settings.maxConcurrent) {
      this.active++;
      return this.releaser();
    }
    if (this.queue.length >= this.settings.maxQueued) throw new BulkheadFullError(this.name, `${this.active} calls in progress and ${this.queue.length} waiting`);
    const waitMs = Math.min(this.settings.maxWaitMs, waitAtMostMs);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          cancelTimer();
          resolve();
        },
      };
      const cancelTimer = this.clock.setTimer(waitMs, () => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        reject(new BulkheadFullError(this.name, `no slot freed within ${waitMs} ms`));
      });
      this.queue.push(waiter);
    });
    // The slot was handed over by release(): `active` already counts it.
    return this.releaser();
  }

  /** Runs `call` in a slot. */
  async run<T>(call: () => Promise<T>, waitAtMostMs?: number): Promise<T> {
    const release = await this.acquire(waitAtMostMs);
    try {
      return await call();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // Hand the slot straight to the next waiter, so a newcomer cannot overtake the queue.
      if (next) next.grant();
      else this.active--;
    };
  }
}
