import * as z from 'zod';

/**
 * The shared circuit breaker of a consumer's dependency (the payment provider
 * for payments): one DynamoDB item per dependency in the region's breaker
 * table, the contract between the consumers that open and close it
 * (functions/shared/resilience/shared-breaker.ts), the CDK construct that
 * deploys the table (lib/constructs/dependency-breaker.ts), the orders API's
 * admission control that reads it, and the operator CLI.
 */

/** Set on every function that reads or writes the region's breakers. */
export const breakerTableVariable = 'DUCKSTORE_BREAKER_TABLE';

/** The item's key: one item per guarded dependency, e.g. `payment-provider`. */
export const breakerKey = (dependency: string) => ({ pk: `BREAKER#${dependency}` }) as const;

export const breakerItemSchema = z.object({
  pk: z.string(),
  state: z.enum(['closed', 'open']),
  /** Bumped on every transition; a conditional write on it makes each transition happen once. */
  generation: z.number().int().min(0),
  /** Epoch ms of the last transition to `open` (absent while it never opened). */
  openedAt: z.number().int().optional(),
  /** Why it opened, or why it closed: for the log and the CLI. */
  reason: z.string().optional(),
  /**
   * Epoch ms when the next probe is due. A prober claims a due probe by a
   * conditional write on this value, so however many probers run (the chain
   * and the once-a-minute backstop) each probe is made once.
   */
  nextProbeAt: z.number().int().optional(),
  /** Whether the consumer's event source mapping was paused by this breaker and is still to be resumed. */
  paused: z.boolean().optional(),
  /** Epoch ms until which the resumed mapping runs at the ramp's low concurrency (absent: at its full one). */
  rampUntil: z.number().int().optional(),
  /** Epoch ms of the last probe, and what it saw. */
  lastProbeAt: z.number().int().optional(),
  lastProbeOutcome: z.string().optional(),
  /** Probes made while this opening lasted (every one is a provider request). */
  probes: z.number().int().min(0).optional(),
});
export type BreakerItem = z.infer<typeof breakerItemSchema>;

/** What every reader needs: is the dependency known to be down, and since when. */
export interface BreakerView {
  state: 'closed' | 'open';
  generation: number;
  openedAt?: number;
}

/** A missing or unreadable item is a closed breaker: the breaker must never be the reason nothing flows. */
export function readBreakerItem(item: unknown): BreakerView {
  const parsed = breakerItemSchema.safeParse(item);
  if (!parsed.success) return { state: 'closed', generation: 0 };
  const { state, generation, openedAt } = parsed.data;
  return { state, generation, ...(openedAt !== undefined ? { openedAt } : {}) };
}
