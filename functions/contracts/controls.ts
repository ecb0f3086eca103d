import * as z from 'zod';

/**
 * The run-time control document of a region: the contract between the
 * operator CLI that writes it (cli/faults.ts), the functions that read it
 * (functions/shared/controls.ts) and the CDK construct that deploys its table
 * (lib/constructs/fault-controls.ts). See docs/faults.md.
 */

/** Set on every function of a region deployed with fault injection; unset, nothing is ever read. */
export const controlsTableVariable = 'DUCKSTORE_CONTROLS_TABLE';
/** The key of the one item that holds the document. */
export const controlsKey = { pk: 'controls' } as const;

export const functionFaultKinds = [
  'throw-before-commit',
  'throw-after-commit',
  'delay',
  'duplicate-publish',
  'putevents-partial-failure',
  'idempotency-store-unavailable',
  'transaction-conflict',
] as const;
export type FunctionFaultKind = (typeof functionFaultKinds)[number];

export const functionFaultSchema = z.object({
  kind: z.enum(functionFaultKinds),
  /**
   * The function(s) it applies to: a context (`inventory`: every function of
   * the context), or a Powertools service name (`orders-relay`,
   * `cross-region-forwarder`) or consumer component (`inventory-consumer`).
   */
  target: z.string().min(1),
  /** Probability per opportunity (a message, a commit, a PutEvents entry). */
  rate: z.number().min(0).max(1),
  /** Only events of this detail type (e.g. `OrderPlaced`). */
  eventType: z.string().min(1).optional(),
  /** Only events of this order (the envelope's correlationId). */
  orderId: z.string().min(1).optional(),
  /**
   * Only the first N attempts: a message's first N receives, an entry's first
   * N PutEvents attempts. A crash that repeats on every retry is a poison
   * message, not a crash; this lets the retry succeed.
   */
  attempts: z.number().int().positive().optional(),
  /** For `delay`: how long. */
  delayMs: z.number().int().min(0).max(60_000).optional(),
});
export type FunctionFault = z.infer<typeof functionFaultSchema>;

export const providerFaultsSchema = z.object({
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  timeoutRate: z.number().min(0).max(1).optional(),
  outage: z.boolean().optional(),
  declineRate: z.number().min(0).max(1).optional(),
});
export type ProviderFaults = z.infer<typeof providerFaultsSchema>;

/**
 * A run-time saga deadline for the orders the API places from now on (an
 * experiment at the AWS default of 300 s on a local cloud deployed with 30 s).
 * Every participant reads an order's deadline from its events, so nothing
 * else changes. At least twice the deadline margin, as the deploy checks for
 * its own setting.
 */
export const sagaDeadlineOverrideSchema = z.number().int().min(20).max(86_400);

export const controlsDocumentSchema = z.object({
  faults: z.array(functionFaultSchema).optional(),
  provider: providerFaultsSchema.optional(),
  resilienceProfile: z.string().min(1).optional(),
  providerIdempotency: z.boolean().optional(),
  sagaDeadlineSeconds: sagaDeadlineOverrideSchema.optional(),
});

export interface Controls {
  faults: FunctionFault[];
  resilienceProfile?: string;
  providerIdempotency?: boolean;
  /** The saga deadline of new orders, overriding the deployed one (read by the orders API only). */
  sagaDeadlineSeconds?: number;
  /** The payment provider simulator's faults (read by the simulator only). */
  provider?: ProviderFaults;
}

/** The controls a stored item holds; an item that does not match the schema counts as no controls, with the issues. */
export function readControlsDocument(item: unknown): { controls: Controls; issues?: string[] } {
  if (item === undefined || item === null) return { controls: { faults: [] } };
  const parsed = controlsDocumentSchema.safeParse(item);
  if (!parsed.success) return { controls: { faults: [] }, issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
  const { faults = [], provider, resilienceProfile, providerIdempotency, sagaDeadlineSeconds } = parsed.data;
  return {
    controls: {
      faults,
      ...(provider ? { provider } : {}),
      ...(resilienceProfile ? { resilienceProfile } : {}),
      ...(providerIdempotency !== undefined ? { providerIdempotency } : {}),
      ...(sagaDeadlineSeconds !== undefined ? { sagaDeadlineSeconds } : {}),
    },
  };
}
