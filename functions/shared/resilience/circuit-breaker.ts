import type { Clock } from './clock';
import { CircuitOpenError } from './errors';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerSettings {
  /** The rolling window over which the failure rate is measured. */
  windowMs: number;
  /** Fewer calls than this in the window say nothing about the rate: the breaker stays closed. */
  minimumCalls: number;
  /** The breaker opens when failures / calls in the window reach this (0–1). */
  failureRateThreshold: number;
  /**
   * It also opens after this many failures in a row, whatever the rate: the
   * rate alone needs more failures the busier the window was (after S
   * successes, 3S failures at 75%), so an outage under load was called ever
   * later (seen: "18 of the last 23 calls failed"). Unset: the rate alone.
   */
  consecutiveFailures?: number;
  /** How long it stays open, refusing every call, before it lets trial calls through. */
  cooldownMs: number;
  /** Half-open: at most this many calls at once, and this many successes in a row close it again. */
  trialCalls: number;
}

export interface CircuitTransition {
  breaker: string;
  from: CircuitState;
  to: CircuitState;
  /** Why, for the log line: the failure rate that opened it, a failed trial, enough good trials. */
  reason: string;
}

/** What a caller reports about a call it was allowed to make. */
export interface CircuitPermit {
  /** The service answered (an answer it meant, even a refusal). */
  succeeded(): void;
  /** The service failed us: an error or unusable answer, or no answer within the time we gave it (`timeout`). */
  failed(kind?: FailureKind): void;
  /** Neither: the call was abandoned before it said anything about the service. */
  released(): void;
}

/** Why a call failed, so the log says whether the breaker opened on errors or on slowness. */
export type FailureKind = 'error' | 'timeout';

interface Outcome {
  at: number;
  failed: boolean;
  kind?: FailureKind;
}

type Inner =
  | { state: 'closed'; outcomes: Outcome[] }
  | { state: 'open'; until: number }
  | { state: 'half-open'; inFlight: number; succeeded: number };

/**
 * A circuit breaker: closed (calls flow; outcomes are counted over a rolling
 * window), open (calls are refused at once with CircuitOpenError, so a
 * failing service is given time to recover instead of a queue of retries),
 * half-open (after the cooldown, a few trial calls decide: all succeed →
 * closed; one fails → open for another cooldown).
 *
 * A pure state machine over an injected clock. Its state lives in one
 * execution environment (see docs/resilience.md for why that is enough here).
 * Outcomes of calls let through in an earlier state (a slow call that
 * started before the breaker opened) are ignored: only calls made under the
 * current state may move it.
 */
export class CircuitBreaker {
  private inner: Inner = { state: 'closed', outcomes: [] };
  /** Bumped on every transition; a permit from an older generation no longer counts. */
  private generation = 0;

  constructor(
    readonly name: string,
    readonly settings: CircuitBreakerSettings,
    private readonly clock: Clock,
    private readonly onTransition: (transition: CircuitTransition) => void = () => {},
  ) {}

  /** The current state; an open breaker past its cooldown reports half-open (it would admit a trial now). */
  get state(): CircuitState {
    if (this.inner.state === 'open' && this.clock.now() >= this.inner.until) return 'half-open';
    return this.inner.state;
  }

  /** How long an open breaker still refuses every call; 0 when it would let a call through now. */
  openForMs(): number {
    return this.inner.state === 'open' ? Math.max(0, this.inner.until - this.clock.now()) : 0;
  }

  /** The failure rate in the current window (0 when it holds no call), for logs. */
  failureRate(): number {
    if (this.inner.state !== 'closed') return this.inner.state === 'open' ? 1 : 0;
    const outcomes = this.prune(this.inner.outcomes);
    return outcomes.length === 0 ? 0 : outcomes.filter((outcome) => outcome.failed).length / outcomes.length;
  }

  /** Lets one call through, or throws CircuitOpenError without calling anything. */
  acquire(): CircuitPermit {
    const inner = this.inner;
    if (inner.state === 'open') {
      if (this.clock.now() < inner.until) throw new CircuitOpenError(this.name, inner.until);
      this.moveTo({ state: 'half-open', inFlight: 0, succeeded: 0 }, 'cooldown over: letting trial calls through');
    }
    if (this.inner.state === 'half-open') {
      if (this.inner.inFlight + this.inner.succeeded >= this.settings.trialCalls) throw new CircuitOpenError(this.name, this.clock.now());
      this.inner.inFlight++;
    }
    return this.permit(this.generation);
  }

  private permit(generation: number): CircuitPermit {
    let settled = false;
    const settle = (outcome: 'succeeded' | 'failed' | 'released', kind?: FailureKind) => {
      if (settled) return;
      settled = true;
      if (generation === this.generation) this.record(outcome, kind);
    };
    return { succeeded: () => settle('succeeded'), failed: (kind = 'error') => settle('failed', kind), released: () => settle('released') };
  }

  /**
   * Back to closed with an empty window, whatever the state: the shared
   * breaker (shared-breaker.ts) closed after a probe succeeded, so this
   * environment's own cooldown would only hold back messages that can now flow.
   */
  reset(reason: string): void {
    if (this.inner.state === 'closed') return;
    this.moveTo({ state: 'closed', outcomes: [] }, reason);
  }

  private record(outcome: 'succeeded' | 'failed' | 'released', kind?: FailureKind): void {
    const inner = this.inner;
    if (inner.state === 'half-open') {
      inner.inFlight--;
      if (outcome === 'failed') this.open('a trial call failed');
      else if (outcome === 'succeeded' && ++inner.succeeded >= this.settings.trialCalls) {
        this.moveTo({ state: 'closed', outcomes: [] }, `${inner.succeeded} trial call(s) succeeded`);
      }
      return;
    }
    if (inner.state !== 'closed' || outcome === 'released') return;
    inner.outcomes = this.prune(inner.outcomes);
    inner.outcomes.push({ at: this.clock.now(), failed: outcome === 'failed', ...(kind ? { kind } : {}) });
    if (outcome !== 'failed') return;
    const calls = inner.outcomes.length;
    const failures = inner.outcomes.filter((entry) => entry.failed);
    const kinds = (failed: Outcome[]) => {
      const timeouts = failed.filter((entry) => entry.kind === 'timeout').length;
      return `(${failed.length - timeouts} errors, ${timeouts} timeouts)`;
    };
    if (calls >= this.settings.minimumCalls && failures.length / calls >= this.settings.failureRateThreshold) {
      this.open(`${failures.length} of the last ${calls} calls failed within ${this.settings.windowMs} ms ${kinds(failures)}`);
      return;
    }
    const inARow = this.settings.consecutiveFailures;
    const last = inARow === undefined ? [] : inner.outcomes.slice(-inARow);
    if (inARow !== undefined && last.length === inARow && last.every((entry) => entry.failed)) {
      this.open(`the last ${inARow} calls failed in a row ${kinds(last)}`);
    }
  }

  private prune(outcomes: Outcome[]): Outcome[] {
    const since = this.clock.now() - this.settings.windowMs;
    const first = outcomes.findIndex((outcome) => outcome.at > since);
    return first === -1 ? [] : first === 0 ? outcomes : outcomes.slice(first);
  }

  private open(reason: string): void {
    this.moveTo({ state: 'open', until: this.clock.now() + this.settings.cooldownMs }, reason);
  }

  private moveTo(next: Inner, reason: string): void {
    const from = this.inner.state;
    this.inner = next;
    this.generation++;
    this.onTransition({ breaker: this.name, from, to: next.state, reason });
  }
}
