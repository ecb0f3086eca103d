import type { Context } from 'aws-lambda';
import { breakerTableVariable } from '#contracts/dependency-breaker';
import { optionalWholeNumber, requireEnv } from './config';
import { eventSourceMapping, selfInvokingProber } from './consumer-mapping';
import { dynamoDbBreakerStore } from './dependency-breaker-store';
import { logger } from './powertools';
import { systemClock } from './resilience/clock';
import { SharedBreaker, type ProbeResult, type ProbeRound } from './resilience/shared-breaker';

/** Kept back from a probe invocation's remaining time: the probe's own timeout is added to it. */
const probeRoundMarginMs = 1_000;

/** The least concurrency an SQS event source mapping allows (ScalingConfig.MaximumConcurrency: 2 to 1000). */
const rampConcurrency = 2;

/** The resume ramp from the environment (its length may be 0: no ramp); none without the mapping's deployed maximum. */
function resumeRamp() {
  if (process.env.MAPPING_MAX_CONCURRENCY === undefined) return undefined;
  const fullConcurrency = optionalWholeNumber('MAPPING_MAX_CONCURRENCY', rampConcurrency, { unit: 'batches', positive: true });
  return { concurrency: rampConcurrency, ms: optionalWholeNumber('BREAKER_RAMP_MS', 0, { unit: 'milliseconds' }), fullConcurrency };
}

/**
 * The shared breaker of this consumer's dependency, wired from the
 * environment the CDK construct gives a guarded consumer
 * (lib/constructs/event-consumer.ts, `pauseOnOutageOf`); undefined when the
 * function has no breaker table. What the handler needs and no more: trip it
 * (from the local breaker's opening), ask whether to defer a batch, run a
 * probe round, and wait for trips in flight before the invocation ends.
 */
export function dependencyBreakerOf(dependency: string, options: { probe(): Promise<ProbeResult>; probeTimeoutMs?: number }) {
  const tableName = process.env[breakerTableVariable];
  if (!tableName) return undefined;
  const functionName = requireEnv('AWS_LAMBDA_FUNCTION_NAME');
  const probeTimeoutMs = options.probeTimeoutMs ?? 3_000;
  const breaker = new SharedBreaker({
    dependency,
    store: dynamoDbBreakerStore(tableName, dependency),
    mapping: eventSourceMapping(functionName, requireEnv('QUEUE_ARN')),
    clock: systemClock,
    probe: options.probe,
    continueProbing: selfInvokingProber(functionName, dependency),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    settings: {
      firstProbeAfterMs: optionalWholeNumber('BREAKER_FIRST_PROBE_MS', 2_000, { unit: 'milliseconds', positive: true }),
      maxProbeIntervalMs: optionalWholeNumber('BREAKER_MAX_PROBE_INTERVAL_MS', 10_000, { unit: 'milliseconds', positive: true }),
      ramp: resumeRamp(),
    },
    log: (message, details) => logger.warn(message, details),
  });
  const pending = new Set<Promise<void>>();
  const track = (what: string, work: Promise<void>) => {
    const settled = work.catch((error: unknown) => logger.error(`dependency breaker: ${what} failed`, { dependency, error })).finally(() => pending.delete(settled));
    pending.add(settled);
  };
  /** The generation this environment last saw: a newer closed one means a probe closed it since, and the local breakers may let go. */
  let seenGeneration: number | undefined;

  /** Set when this environment starts a trip, until its next read of the item: the batch that tripped already counts as paused. */
  let tripping = false;

  return {
    trip: (reason: string) => {
      tripping = true;
      track('opening', breaker.trip(reason));
    },
    settled: async () => {
      while (pending.size > 0) await Promise.all(pending);
    },
    /** Why a call must not be made now (the shared breaker is open), read at most once a second: the caller's `sharedRefusal`. */
    async refusal(): Promise<string | undefined> {
      const view = await breaker.view();
      return view.state === 'open' ? `the shared ${dependency} breaker is open (generation ${view.generation})` : undefined;
    },
    /** Whether this environment last saw the shared breaker open (its own trip, or a read): the consumer is then paused. */
    knownOpen: () => tripping || breaker.lastSeenState() === 'open',
    /** Open: the batch is deferred untried (and the mapping paused, if the tripping environment could not); closed again: `onClosed`. */
    async deferral(onClosed: (reason: string) => void): Promise<{ reason: string; retryAfterSeconds: number } | undefined> {
      // An open view is read again, not taken from the cache: a probe may just have closed it and resumed the mapping.
      const cached = await breaker.view();
      const view = cached.state === 'open' ? await breaker.view({ fresh: true }) : cached;
      tripping = false;
      const previous = seenGeneration;
      seenGeneration = view.generation;
      if (view.state === 'open') {
        track('pausing', breaker.ensurePaused(view.generation));
        // Short: the mapping is paused, so the messages are not received again before the resume, and come back right after it.
        return { reason: `the ${dependency} breaker is open (generation ${view.generation}): the consumer is paused until a probe succeeds`, retryAfterSeconds: 2 };
      }
      if (previous !== undefined && view.generation > previous) onClosed(`the shared ${dependency} breaker closed after a successful probe`);
      return undefined;
    },
    probeRound: (context: Context, fromChain: boolean): Promise<ProbeRound> =>
      breaker.probeRound(context.getRemainingTimeInMillis() - probeTimeoutMs - probeRoundMarginMs, fromChain),
  };
}
