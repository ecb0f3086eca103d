import type { BreakerView } from '#contracts/dependency-breaker';
import type { Clock } from './clock';

/**
 * Admission control at the orders API (docs/resilience.md, "Admission
 * control"): an order is accepted only when the system can be expected to
 * finish it within its saga deadline. Three signals, each cheap and cached:
 *
 * - `count`: the orders in flight have reached a fixed limit (the backstop).
 * - `oldest-age`: the oldest orders in flight have already spent a share of
 *   the time a saga has (deadline − margin): the system is not finishing work
 *   in time, and a new order would queue behind them.
 * - `breaker`: the payment dependency's shared breaker has been open for that
 *   same share: an outage that has lasted t is likely to last about as long
 *   again, longer than a new order could wait.
 */
export type ShedReason = 'count' | 'oldest-age' | 'breaker';

export interface AdmissionSettings {
  /** `count`: refuse while this many orders are in flight. */
  maxInFlight: number;
  /** Retry-After of a `count` refusal, in seconds. */
  retryAfterSeconds: number;
  /** The saga deadline a new order gets now (the deployed one, or the controls' override), in ms. */
  sagaDeadlineMs: number;
  /** Participants start no side effect after deadline − margin, so a saga has deadline − margin to finish. */
  marginMs: number;
  /** `oldest-age` and `breaker`: the share of that time (0..1] past which new orders are refused. */
  budgetFraction: number;
  /** `oldest-age`: how many shards' oldest orders must be past it, so that one straggler does not shut the door. */
  ageQuorum: number;
  /** The longest Retry-After any refusal asks for, in seconds. */
  maxRetryAfterSeconds: number;
}

/** What the API could read; undefined means unreadable or not read, and sheds nothing (fails open). */
export interface AdmissionSignals {
  now: number;
  inFlight?: number | undefined;
  /** The earliest deadline (epoch ms) of each shard of the pending-orders index that holds an order. */
  oldestDeadlines?: readonly number[] | undefined;
  /** The same, read a few seconds before (`at`): how fast the oldest orders are being finished. */
  earlier?: { at: number; oldestDeadlines: readonly number[] } | undefined;
  breaker?: BreakerView | undefined;
}

export type ShedDecision =
  | { shed: false }
  | {
      shed: true;
      reason: ShedReason;
      retryAfterSeconds: number;
      /** For the problem's detail and the log line. */
      detail: string;
      /** The figures the signal saw (in-flight count, ages in ms), for the log and the metric. */
      figures: Record<string, number>;
    };

const clampSeconds = (ms: number, least: number, most: number) => Math.min(most, Math.max(least, Math.ceil(ms / 1000)));

/** The time a saga has to finish, and the share of it past which new work is refused. */
export function admissionLimitMs(settings: Pick<AdmissionSettings, 'sagaDeadlineMs' | 'marginMs' | 'budgetFraction'>): number {
  return settings.budgetFraction * Math.max(0, settings.sagaDeadlineMs - settings.marginMs);
}

/** Below this share of the limit the oldest orders are young enough that how fast they move says nothing. */
const trendFromShare = 0.1;
/** Two readings closer than this are too noisy to tell how fast the oldest orders move. */
export const minTrendWindowMs = 2_000;

/** Placement time (epoch ms) of the `quorum`-th oldest shard head, or undefined with fewer heads. */
function quorumPlacement(deadlines: readonly number[] | undefined, settings: Pick<AdmissionSettings, 'ageQuorum' | 'sagaDeadlineMs'>): number | undefined {
  if (!deadlines || deadlines.length < settings.ageQuorum) return undefined;
  return [...deadlines].sort((a, b) => a - b)[settings.ageQuorum - 1]! - settings.sagaDeadlineMs;
}

/**
 * The age of the oldest orders in flight (the `ageQuorum`-th oldest shard
 * head, so one straggler does not count), and the wait it predicts for a new
 * order. Orders are finished roughly in placement order, so between two
 * readings Δt apart the oldest placement time moves by ΔP: the system works
 * through Δt of ΔP's arrivals, and a new order, behind `age` of arrivals,
 * waits about age × Δt / ΔP (Little's law; ΔP = Δt is the steady state, where
 * the wait is the age itself). A burst thus shows within a few seconds, long
 * before its oldest order is old. A head that did not move at all (ΔP ≤ 0:
 * a paused consumer, a dependency down) says nothing about when it will: it
 * is expected to stay stuck about as long again as it has been (2 × age), the
 * same reasoning as the breaker signal's. (The first version predicted no
 * end, and refused orders 36 s into a 60 s outage at the 300 s deadline that
 * would all have confirmed; those clients then waited the 30 s cap.)
 */
function oldestAge(signals: AdmissionSignals, settings: AdmissionSettings, limitMs: number): { ageMs: number; waitMs: number } | undefined {
  const placedAt = quorumPlacement(signals.oldestDeadlines, settings);
  if (placedAt === undefined) return undefined;
  const ageMs = signals.now - placedAt;
  const earlier = signals.earlier;
  const earlierPlacedAt = earlier && quorumPlacement(earlier.oldestDeadlines, settings);
  if (!earlier || earlierPlacedAt === undefined || ageMs < trendFromShare * limitMs || signals.now - earlier.at < minTrendWindowMs) return { ageMs, waitMs: ageMs };
  const advancedMs = placedAt - earlierPlacedAt;
  return { ageMs, waitMs: Math.max(ageMs, advancedMs <= 0 ? 2 * ageMs : (ageMs * (signals.now - earlier.at)) / advancedMs) };
}

/**
 * The decision itself, pure. The signals are checked from the most specific
 * cause to the least (an open breaker also ages the orders in flight and
 * grows their count), so the reason names why the system is behind.
 */
export function admissionDecision(signals: AdmissionSignals, settings: AdmissionSettings): ShedDecision {
  const limitMs = admissionLimitMs(settings);
  const { breaker, now } = signals;
  if (breaker?.state === 'open' && breaker.openedAt !== undefined && now - breaker.openedAt >= limitMs) {
    const openForMs = now - breaker.openedAt;
    return {
      shed: true,
      reason: 'breaker',
      // The outage is expected to last about as long again: come back then, or at the cap.
      retryAfterSeconds: clampSeconds(openForMs, 1, settings.maxRetryAfterSeconds),
      detail: `the payment provider has been unavailable for ${Math.round(openForMs / 1000)} s, longer than a new order could wait (${Math.round(limitMs / 1000)} s)`,
      figures: { openForMs, limitMs },
    };
  }
  const age = oldestAge(signals, settings, limitMs);
  if (age && age.waitMs >= limitMs) {
    const budgetSeconds = Math.round((settings.sagaDeadlineMs - settings.marginMs) / 1000);
    const seen = age.waitMs === age.ageMs ? `have waited ${Math.round(age.ageMs / 1000)} s` : `have waited ${Math.round(age.ageMs / 1000)} s and are finished too slowly for a new order to end within ${Math.round(limitMs / 1000)} s`;
    return {
      shed: true,
      reason: 'oldest-age',
      // The oldest orders must get younger than the limit before a new one fits: about the excess, at least 2 s.
      retryAfterSeconds: clampSeconds(age.waitMs - limitMs, 2, settings.maxRetryAfterSeconds),
      detail: `orders in flight ${seen} (of the ${budgetSeconds} s a saga has)`,
      figures: { oldestAgeMs: age.ageMs, expectedWaitMs: Math.round(age.waitMs), limitMs },
    };
  }
  if (signals.inFlight !== undefined && signals.inFlight >= settings.maxInFlight) {
    return {
      shed: true,
      reason: 'count',
      retryAfterSeconds: Math.min(settings.retryAfterSeconds, settings.maxRetryAfterSeconds),
      detail: `${signals.inFlight} orders are in progress, the limit is ${settings.maxInFlight}`,
      figures: { inFlight: signals.inFlight, maxInFlight: settings.maxInFlight },
    };
  }
  return { shed: false };
}

export interface BacklogGauge {
  /** The current backlog, counted up to `atLeast` (a caller only needs to know whether it reaches the limit). */
  read(atLeast: number): Promise<number>;
}

export interface CacheOptions {
  clock: Pick<Clock, 'now'>;
  maxAgeMs: number;
  onError?(error: unknown): void;
}

/**
 * Reads a signal at most once per `maxAgeMs` per execution environment
 * (concurrent callers share one read), so that admission costs one read every
 * few seconds, not one per request. A failed read counts as "unknown" and
 * sheds nothing: shedding protects the system, and an unreadable signal must
 * not turn into refusing every order. `covers` says whether a reading taken
 * for one argument answers a call with another.
 */
export function cachedReading<T, A = void>(read: (argument: A) => Promise<T>, options: CacheOptions & { covers?(cached: A, wanted: A): boolean }) {
  const covers = options.covers ?? (() => true);
  let last: { value: T | undefined; readAt: number; argument: A } | undefined;
  let reading: Promise<T | undefined> | undefined;
  return async (argument: A): Promise<T | undefined> => {
    const now = options.clock.now();
    if (last && now - last.readAt < options.maxAgeMs && covers(last.argument, argument)) return last.value;
    reading ??= read(argument)
      .then(
        (value) => value,
        (error: unknown) => {
          options.onError?.(error);
          return undefined;
        },
      )
      .then((value) => {
        last = { value, readAt: now, argument };
        reading = undefined;
        return value;
      });
    return reading;
  };
}

/** The backlog, cached: a reading counted up to a higher limit also answers a lower one. */
export const cachedBacklog = (gauge: BacklogGauge, options: CacheOptions) => cachedReading((atLeast: number) => gauge.read(atLeast), { ...options, covers: (cached, wanted) => cached >= wanted });

export type OldestReadings = Pick<AdmissionSignals, 'oldestDeadlines' | 'earlier'>;

/**
 * The oldest orders' deadlines (a cached read) with the oldest reading from
 * between `minTrendWindowMs` and `windowMs` before that saw at least
 * `minHeads` shards hold an order (a reading from before a burst filled the
 * shards says nothing about how fast they move), kept in this execution
 * environment, so that the decision sees how fast they move.
 */
export function withEarlierReading(read: () => Promise<readonly number[] | undefined>, options: { clock: Pick<Clock, 'now'>; windowMs: number; minHeads: number }): () => Promise<OldestReadings> {
  let readings: { at: number; oldestDeadlines: readonly number[] }[] = [];
  return async () => {
    const oldestDeadlines = await read();
    const now = options.clock.now();
    if (oldestDeadlines && readings.at(-1)?.oldestDeadlines !== oldestDeadlines) readings.push({ at: now, oldestDeadlines });
    readings = readings.filter((reading) => now - reading.at <= options.windowMs);
    const earlier = readings.find((reading) => now - reading.at >= minTrendWindowMs && reading.oldestDeadlines.length >= options.minHeads);
    return { oldestDeadlines, ...(earlier ? { earlier } : {}) };
  };
}

/** The cached signals the API decides with; those left out are off. */
export interface AdmissionReaders {
  backlog(atLeast: number): Promise<number | undefined>;
  oldest?(): Promise<OldestReadings>;
  breaker?(): Promise<BreakerView | undefined>;
}

/** Reads the signals in parallel and decides; undefined settings mean admission control is off (no read at all). */
export async function decideShedding(readers: AdmissionReaders, settings: AdmissionSettings | undefined, now: number): Promise<ShedDecision> {
  if (!settings) return { shed: false };
  const [inFlight, oldest, breaker] = await Promise.all([readers.backlog(settings.maxInFlight), readers.oldest?.(), readers.breaker?.()]);
  return admissionDecision({ now, inFlight, ...oldest, breaker }, settings);
}
