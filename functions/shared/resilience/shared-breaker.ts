import { readBreakerItem, type BreakerItem, type BreakerView } from '#contracts/dependency-breaker';
import type { Clock } from './clock';

/** The breaker's item, read and moved only by conditional writes (functions/shared/dependency-breaker-store.ts). */
export interface SharedBreakerStore {
  read(): Promise<BreakerItem | undefined>;
  /** closed at `generation` → open at `generation + 1`, paused, first probe due at `firstProbeAt`; false when another writer moved it first. */
  open(generation: number, change: { at: number; reason: string; firstProbeAt: number }): Promise<boolean>;
  /** open at `generation` → closed at `generation + 1` (still `paused` until the mapping is resumed); false when it moved first. */
  close(generation: number, change: { at: number; reason: string }): Promise<boolean>;
  /** Claims the probe due at `due` by moving `nextProbeAt` to `next`; false when another prober claimed it or the breaker moved. */
  claimProbe(generation: number, due: number, next: number): Promise<boolean>;
  /** Notes what a probe saw (for the CLI and the log); best effort. */
  recordProbe(generation: number, probe: { at: number; outcome: string }): Promise<void>;
  /** The mapping is running again: clears `paused`, and notes until when it runs at the ramp's concurrency (conditional on `generation`, so a newer opening keeps it). */
  markResumed(generation: number, rampUntil: number | undefined): Promise<void>;
  /** The ramp is over, the mapping back at full concurrency: clears `rampUntil` (conditional on `generation`). */
  endRamp(generation: number): Promise<void>;
}

/** The consumer's event source mapping: paused, nothing is received (no receive counted); resumed, it polls again. */
export interface ConsumerMapping {
  /** Pauses or resumes it; with `maximumConcurrency`, also caps how many batches it runs at once. */
  setEnabled(enabled: boolean, maximumConcurrency?: number): Promise<void>;
  /** Caps how many batches it runs at once, leaving it paused or running as it is. */
  setMaximumConcurrency(maximumConcurrency: number): Promise<void>;
}

export interface SharedBreakerSettings {
  /** How long a read of the item serves an execution environment. */
  viewCacheMs: number;
  /** Probe intervals: the first probe this long after the opening, then doubling up to `maxProbeIntervalMs`. */
  firstProbeAfterMs: number;
  maxProbeIntervalMs: number;
  /**
   * After a resume, the mapping runs at `concurrency` batches at once for
   * `ms`, then at `fullConcurrency` (its deployed maximum): the backlog of a
   * long outage arrives as a ramp, not as a burst that times out on a
   * dependency just back (and opens the breaker again). `ms` 0: no ramp (a
   * ramp left on the item still ends at `fullConcurrency`). Undefined: no
   * ramp, and the mapping's concurrency is never touched.
   */
  ramp: { concurrency: number; ms: number; fullConcurrency: number } | undefined;
}

export const defaultSharedBreakerSettings: SharedBreakerSettings = { viewCacheMs: 1_000, firstProbeAfterMs: 2_000, maxProbeIntervalMs: 10_000, ramp: undefined };

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export type ProbeRound =
  | { outcome: 'closed'; reason: string }
  | { outcome: 'still-open'; reason: string; nextProbeAt: number }
  | { outcome: 'not-due'; nextProbeAt: number }
  | { outcome: 'claimed-elsewhere' }
  | { outcome: 'resumed' }
  | { outcome: 'ramping'; fullAt: number }
  | { outcome: 'ramped' }
  | { outcome: 'idle' };

export interface SharedBreakerDeps {
  dependency: string;
  store: SharedBreakerStore;
  mapping: ConsumerMapping;
  clock: Pick<Clock, 'now'>;
  /** One request to the dependency that says whether it is back (a real request: it is counted as one). */
  probe(): Promise<ProbeResult>;
  /** Runs the next probe round in a fresh invocation (an asynchronous self-invoke), so a chain of rounds outlives one invocation. */
  continueProbing(): Promise<void>;
  sleep(ms: number): Promise<void>;
  settings?: Partial<SharedBreakerSettings>;
  log?(message: string, details: Record<string, unknown>): void;
}

/** The interval before the probe after one that failed: doubling from the first, capped. */
export function nextProbeInterval(previousIntervalMs: number, settings: SharedBreakerSettings): number {
  return Math.min(settings.maxProbeIntervalMs, Math.max(settings.firstProbeAfterMs, previousIntervalMs * 2));
}

/**
 * One circuit breaker for every execution environment of a consumer, and the
 * pause that goes with it (docs/resilience.md, "Pause, don't burn").
 *
 * Each environment still detects an outage with its own breaker (it sees its
 * calls fail); the first one to open it calls `trip`, which opens the shared
 * item once (a conditional write), pauses the consumer's event source
 * mapping (no message is received, so none counts a receive towards its
 * DLQ) and starts the probe chain. Every environment reads the item (cached
 * ~1 s) before it calls the dependency, so none keeps calling while the
 * others know it is down.
 *
 * A probe is a real, harmless request (a look-up) made by exactly one prober
 * at a time: each due probe is claimed by a conditional write, so the
 * asynchronous chain and the once-a-minute backstop never both probe. A
 * probe that succeeds closes the item and resumes the mapping, at a low
 * concurrency for a few seconds (the ramp) and then at its full one; the
 * messages that waited are received as if nothing had happened.
 */
export class SharedBreaker {
  private readonly settings: SharedBreakerSettings;
  private cached: { view: BreakerView; readAt: number } | undefined;
  /** The generation this environment last paused the mapping for: one pause call per opening, not one per invocation. */
  private pausedGeneration: number | undefined;

  constructor(private readonly deps: SharedBreakerDeps) {
    this.settings = { ...defaultSharedBreakerSettings, ...deps.settings };
  }

  /**
   * The shared state, read at most once per `viewCacheMs` (`fresh`: read now);
   * an unreadable item is closed, whatever was cached: the breaker must never
   * stop the flow by itself.
   */
  async view(options: { fresh?: boolean } = {}): Promise<BreakerView> {
    const now = this.deps.clock.now();
    if (!options.fresh && this.cached && now - this.cached.readAt < this.settings.viewCacheMs) return this.cached.view;
    let view: BreakerView;
    try {
      view = readBreakerItem(await this.deps.store.read());
    } catch (error) {
      this.log('dependency breaker unreadable: treated as closed', { error: String(error) });
      view = { state: 'closed', generation: this.cached?.view.generation ?? 0 };
    }
    this.cached = { view, readAt: now };
    return view;
  }

  /** The state this environment last read or wrote, however old (undefined before its first). */
  lastSeenState(): BreakerView['state'] | undefined {
    return this.cached?.view.state;
  }

  /**
   * This environment's breaker just opened: open the shared one (once, however
   * many environments trip together), pause the mapping and start probing.
   */
  async trip(reason: string): Promise<void> {
    const item = await this.deps.store.read();
    const current = readBreakerItem(item);
    if (current.state === 'open') {
      await this.ensurePaused(current.generation);
      return;
    }
    const at = this.deps.clock.now();
    const opened = await this.deps.store.open(current.generation, { at, reason, firstProbeAt: at + this.settings.firstProbeAfterMs });
    const view: BreakerView = { state: 'open', generation: current.generation + 1, openedAt: at };
    this.cached = { view, readAt: at };
    if (!opened) {
      // Another environment opened it between our read and our write: it pauses and probes.
      this.cached = undefined;
      return;
    }
    this.log('dependency breaker opened: consumer paused until a probe succeeds', { dependency: this.deps.dependency, reason, generation: view.generation });
    try {
      await this.ensurePaused(view.generation);
    } finally {
      // Probing starts even if the pause failed: the batches that find the item open pause it again.
      await this.deps.continueProbing();
    }
  }

  /**
   * An invocation that finds the breaker open makes sure the mapping is paused
   * (the tripping environment may have failed to). The pause can race the
   * probe that closes the breaker and resumes the mapping: so the item is read
   * again after it, and a breaker closed meanwhile gets its mapping back
   * (without that, the mapping stayed disabled under a closed item that
   * nothing would resume).
   */
  async ensurePaused(generation: number): Promise<void> {
    if (this.pausedGeneration === generation) return;
    await this.deps.mapping.setEnabled(false);
    this.pausedGeneration = generation;
    const now = await this.view({ fresh: true });
    if (now.state === 'closed' && now.generation > generation) {
      this.log('dependency breaker closed while this environment paused the consumer: resuming it', { dependency: this.deps.dependency, generation: now.generation });
      await this.deps.mapping.setEnabled(true);
      this.pausedGeneration = undefined;
    }
  }

  /**
   * One round of probing, within `budgetMs` of this invocation: wait until the
   * probe is due, claim it, make it; a success closes the breaker and resumes
   * the mapping, a failure schedules the next probe (doubling interval) and
   * hands over to a fresh invocation. `fromChain` says who runs it: the
   * chain hands over even when the probe is not yet due; the backstop leaves
   * it to the chain then.
   */
  async probeRound(budgetMs: number, fromChain: boolean): Promise<ProbeRound> {
    const item = await this.deps.store.read();
    if (!item || item.state === 'closed') {
      // Closed but still paused: the prober that closed it did not get to resume the mapping.
      if (item?.paused) {
        await this.resume(item.generation);
        return { outcome: 'resumed' };
      }
      if (item?.rampUntil !== undefined) return this.endRamp(item.generation, item.rampUntil, budgetMs, fromChain);
      return { outcome: 'idle' };
    }
    const { generation } = item;
    const due = item.nextProbeAt ?? (item.openedAt ?? this.deps.clock.now()) + this.settings.firstProbeAfterMs;
    const waitMs = Math.max(0, due - this.deps.clock.now());
    if (waitMs > budgetMs) {
      if (fromChain) await this.handOver(waitMs, budgetMs);
      return { outcome: 'not-due', nextProbeAt: due };
    }
    if (waitMs > 0) await this.deps.sleep(waitMs);
    const previousIntervalMs = Math.max(0, due - (item.lastProbeAt ?? item.openedAt ?? due));
    const intervalMs = nextProbeInterval(previousIntervalMs, this.settings);
    // Claimed for a while past the next interval, so nobody else probes while this one is in flight.
    if (!(await this.deps.store.claimProbe(generation, due, this.deps.clock.now() + intervalMs))) return { outcome: 'claimed-elsewhere' };

    const result = await this.deps.probe().catch((error: unknown): ProbeResult => ({ ok: false, reason: String(error) }));
    const at = this.deps.clock.now();
    if (result.ok) {
      const reason = `a probe succeeded ${Math.round((at - (item.openedAt ?? at)) / 1000)} s after the breaker opened`;
      await this.deps.store.recordProbe(generation, { at, outcome: 'ok' }).catch(() => {});
      if (await this.deps.store.close(generation, { at, reason })) {
        this.log('dependency breaker closed: resuming the consumer', { dependency: this.deps.dependency, reason, generation: generation + 1 });
        await this.resume(generation + 1);
      }
      return { outcome: 'closed', reason };
    }
    await this.deps.store.recordProbe(generation, { at, outcome: result.reason }).catch(() => {});
    this.log('probe failed: the consumer stays paused', { dependency: this.deps.dependency, reason: result.reason, nextProbeInMs: intervalMs });
    await this.deps.continueProbing();
    return { outcome: 'still-open', reason: result.reason, nextProbeAt: at + intervalMs };
  }

  /**
   * The chain's next round in a fresh invocation, once what is due is within
   * a round's budget (at most this round's budget later): a round handed over
   * at once would only invoke itself again and again until then.
   */
  private async handOver(waitMs: number, budgetMs: number): Promise<void> {
    const sleepMs = Math.min(budgetMs, waitMs - budgetMs);
    if (sleepMs > 0) await this.deps.sleep(sleepMs);
    await this.deps.continueProbing();
  }

  /** Resumes the mapping (at the ramp's concurrency, when there is a ramp) and hands the ramp's end to a fresh round. */
  private async resume(generation: number): Promise<void> {
    const ramp = this.activeRamp();
    await this.deps.mapping.setEnabled(true, ramp?.concurrency);
    await this.deps.store.markResumed(generation, ramp ? this.deps.clock.now() + ramp.ms : undefined);
    this.cached = undefined;
    this.pausedGeneration = undefined;
    if (ramp) await this.deps.continueProbing();
  }

  /** The ramp a resume uses: none when its length is 0 or the mapping cannot go lower than the ramp. */
  private activeRamp() {
    const { ramp } = this.settings;
    return ramp && ramp.ms > 0 && ramp.fullConcurrency > ramp.concurrency ? ramp : undefined;
  }

  /**
   * The ramp's end: once `rampUntil` has passed (waiting for it within the
   * budget, or handing over), the mapping goes back to its full concurrency,
   * if the breaker is still closed at this generation. Only the concurrency is
   * set, never `Enabled`: a breaker that opened meanwhile keeps its pause (its
   * own resume ramps again).
   */
  private async endRamp(generation: number, rampUntil: number, budgetMs: number, fromChain: boolean): Promise<ProbeRound> {
    const { ramp } = this.settings;
    const waitMs = Math.max(0, rampUntil - this.deps.clock.now());
    if (this.activeRamp() && waitMs > budgetMs) {
      if (fromChain) await this.handOver(waitMs, budgetMs);
      return { outcome: 'ramping', fullAt: rampUntil };
    }
    if (waitMs > 0 && this.activeRamp()) await this.deps.sleep(waitMs);
    const item = await this.deps.store.read();
    if (item?.state !== 'closed' || item.generation !== generation || item.rampUntil === undefined) return { outcome: 'idle' };
    // Always back to the deployed maximum, even if the ramp was turned off since: a leftover ramp must not stay at 2.
    if (ramp) await this.deps.mapping.setMaximumConcurrency(ramp.fullConcurrency);
    await this.deps.store.endRamp(generation);
    this.log('dependency breaker: ramp over, the consumer is back at full concurrency', { dependency: this.deps.dependency, generation, concurrency: ramp?.fullConcurrency });
    return { outcome: 'ramped' };
  }

  private log(message: string, details: Record<string, unknown>): void {
    this.deps.log?.(message, details);
  }
}
