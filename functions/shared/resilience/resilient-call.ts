import { Bulkhead } from './bulkhead';
import { CircuitBreaker, type CircuitTransition } from './circuit-breaker';
import type { Clock } from './clock';
import { Deadline, withTimeout } from './deadline';
import { CallTimeoutError, CircuitOpenError, DeadlineExceededError, SharedCircuitOpenError } from './errors';
import type { ResilienceSettings } from './profiles';
import { retrying } from './retry';

export interface CallOptions {
  settings: ResilienceSettings;
  /** The overall deadline (used only when the profile has `overallDeadline`). */
  deadline: Deadline;
  /** Errors worth another attempt (the service was unavailable, not refusing). */
  isRetryable(error: unknown): boolean;
  /** Say what the call is, for logs. */
  operation: string;
}

export interface ResilientCallerHooks {
  onTransition?(transition: CircuitTransition): void;
  /** A call refused by an open breaker: this environment's, or the one shared by every environment. */
  onBreakerRefusal?(error: CircuitOpenError | SharedCircuitOpenError): void;
  onRetry?(retry: { operation: string; attempt: number; delayMs: number; error: unknown }): void;
}

/**
 * The resilience patterns of one remote dependency, composed per call in the
 * order that makes each one see what it should:
 *
 *   retry ( deadline-check → bulkhead ( breaker ( timeout ( call ) ) ) )
 *
 * Each attempt first checks the overall deadline, then waits (boundedly) for
 * a bulkhead slot, then asks the breaker (an open breaker refuses at once,
 * and that refusal is not retried: its point is to stop calling), then calls
 * with a per-call timeout capped by the deadline. The breaker counts only
 * calls that were made: timeouts and unavailability as failures, any answer
 * (a refusal too) as a success. Which patterns apply is the profile's
 * business, read per call, so a profile switch takes effect at once; the
 * breaker and bulkhead state outlive invocations (one per execution environment).
 */
export interface ResilientCallerDeps {
  clock: Clock;
  random?: () => number;
  hooks?: ResilientCallerHooks;
  /**
   * The dependency's shared breaker, asked before every attempt (it caches its
   * read): a reason refuses the attempt untried (SharedCircuitOpenError, not
   * retried). This environment's own breaker needs several failures of its
   * own to open; with this, the failures another environment saw are enough.
   */
  sharedRefusal?: () => Promise<string | undefined>;
}

export function resilientCaller(name: string, deps: ResilientCallerDeps) {
  const { clock, hooks = {} } = deps;
  const breakers = new Map<string, CircuitBreaker>();
  const bulkheads = new Map<string, Bulkhead>();
  // Keyed by settings so a profile with other numbers gets its own instance instead of mutating a live one.
  const breakerFor = (settings: ResilienceSettings) => {
    if (!settings.circuitBreaker) return undefined;
    const key = JSON.stringify(settings.circuitBreaker);
    let breaker = breakers.get(key);
    if (!breaker) breakers.set(key, (breaker = new CircuitBreaker(name, settings.circuitBreaker, clock, (transition) => hooks.onTransition?.(transition))));
    return breaker;
  };
  const bulkheadFor = (settings: ResilienceSettings) => {
    if (!settings.bulkhead) return undefined;
    const key = JSON.stringify(settings.bulkhead);
    let bulkhead = bulkheads.get(key);
    if (!bulkhead) bulkheads.set(key, (bulkhead = new Bulkhead(name, settings.bulkhead, clock)));
    return bulkhead;
  };

  async function call<T>(attempt: (context: { attempt: number; signal?: AbortSignal }) => Promise<T>, options: CallOptions): Promise<T> {
    const { settings } = options;
    const deadline = settings.overallDeadline ? options.deadline : Deadline.none(clock);
    const breaker = breakerFor(settings);
    const bulkhead = bulkheadFor(settings);

    const once = async (number: number): Promise<T> => {
      if (deadline.expired) throw new DeadlineExceededError(`${options.operation}: the overall deadline passed before attempt ${number}`);
      const refusal = await deps.sharedRefusal?.();
      if (refusal) {
        const error = new SharedCircuitOpenError(name, `${options.operation} refused without trying: ${refusal}`);
        hooks.onBreakerRefusal?.(error);
        throw error;
      }
      const release = bulkhead ? await bulkhead.acquire(deadline.remainingMs()) : () => {};
      try {
        let permit;
        try {
          permit = breaker?.acquire();
        } catch (error) {
          if (error instanceof CircuitOpenError) hooks.onBreakerRefusal?.(error);
          throw error;
        }
        const timeoutMs = settings.callTimeoutMs === undefined ? undefined : deadline.capped(settings.callTimeoutMs);
        try {
          const result = timeoutMs === undefined ? await attempt({ attempt: number }) : await withTimeout(clock, timeoutMs, (signal) => attempt({ attempt: number, signal }));
          permit?.succeeded();
          return result;
        } catch (error) {
          // A call cut short by our own deadline, shorter than the timeout the service is promised, says nothing about the service.
          if (error instanceof CallTimeoutError && settings.callTimeoutMs !== undefined && error.timeoutMs < settings.callTimeoutMs) permit?.released();
          else if (error instanceof CallTimeoutError) permit?.failed('timeout');
          else if (options.isRetryable(error)) permit?.failed('error');
          else permit?.succeeded();
          throw error;
        }
      } finally {
        release();
      }
    };

    return retrying(once, {
      settings: settings.retry,
      clock,
      deadline,
      ...(deps.random ? { random: deps.random } : {}),
      // A breaker refusal is the point of the breaker: retrying it at once would only ask again.
      isRetryable: (error) => !(error instanceof CircuitOpenError) && !(error instanceof SharedCircuitOpenError) && !(error instanceof DeadlineExceededError) && options.isRetryable(error),
      onRetry: (retry) => hooks.onRetry?.({ operation: options.operation, ...retry }),
    });
  }

  return {
    call,
    breakerState: (settings: ResilienceSettings) => breakerFor(settings)?.state,
    breakerOpenForMs: (settings: ResilienceSettings) => breakerFor(settings)?.openForMs() ?? 0,
    /** Every breaker of this caller back to closed (the shared breaker closed: the dependency answered a probe). */
    resetBreakers: (reason: string) => breakers.forEach((breaker) => breaker.reset(reason)),
  };
}

export type ResilientCaller = ReturnType<typeof resilientCaller>;
