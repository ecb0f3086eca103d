import type { Clock } from './clock';

export interface LoadSheddingSettings {
  /** New work is refused while the backlog is at or above this. */
  maxBacklog: number;
  /** What the refusal tells the client to wait (Retry-After), in seconds. */
  retryAfterSeconds: number;
}

export type ShedDecision = { shed: false; backlog?: number } | { shed: true; backlog: number; retryAfterSeconds: number };

/** The decision itself, pure: refuse when the backlog has reached the limit. */
export function shedDecision(backlog: number, settings: LoadSheddingSettings): ShedDecision {
  return backlog >= settings.maxBacklog ? { shed: true, backlog, retryAfterSeconds: settings.retryAfterSeconds } : { shed: false, backlog };
}

export interface BacklogGauge {
  /** The current backlog, counted up to `atLeast` (a caller only needs to know whether it reaches the limit). */
  read(atLeast: number): Promise<number>;
}

/**
 * Reads a backlog gauge at most once per `maxAgeMs` per execution
 * environment (concurrent callers share one read), so that the check costs
 * one read every few seconds, not one per request. A failed read counts as
 * "unknown" and sheds nothing: shedding protects the system, and an
 * unreadable gauge must not turn into refusing every order.
 */
export function cachedBacklog(gauge: BacklogGauge, options: { clock: Clock; maxAgeMs: number; onError?(error: unknown): void }) {
  let last: { backlog: number | undefined; readAt: number; upTo: number } | undefined;
  let reading: Promise<number | undefined> | undefined;
  return async (atLeast: number): Promise<number | undefined> => {
    const now = options.clock.now();
    if (last && now - last.readAt < options.maxAgeMs && last.upTo >= atLeast) return last.backlog;
    reading ??= gauge.read(atLeast).then(
      (backlog) => backlog,
      (error: unknown) => {
        options.onError?.(error);
        return undefined;
      },
    ).then((backlog) => {
      last = { backlog, readAt: now, upTo: atLeast };
      reading = undefined;
      return backlog;
    });
    return reading;
  };
}

/** Decides with the cached backlog; undefined settings mean shedding is off (no read at all). */
export async function decideShedding(backlog: (atLeast: number) => Promise<number | undefined>, settings: LoadSheddingSettings | undefined): Promise<ShedDecision> {
  if (!settings) return { shed: false };
  const current = await backlog(settings.maxBacklog);
  return current === undefined ? { shed: false } : shedDecision(current, settings);
}
