import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { contextNames } from '#contracts/envelope';
import { functionFaultSchema, providerFaultsSchema, sagaDeadlineOverrideSchema } from '#contracts/controls';

/**
 * A chaos scenario is a file: the load to drive, a timeline of faults to
 * switch on and off while it runs, and what must hold afterwards. The files
 * live in chaos/scenarios/ (JSON); `duckstore chaos run <name|file>` runs one.
 */

const probability = z.number().min(0).max(1);
const context = z.enum(contextNames);

/** One thing to do at `at` seconds after the load starts. */
export const stepSchema = z.discriminatedUnion('do', [
  /** The payment provider simulator's faults (cli/faults.ts `setProviderFaults`); `{}` clears them. Strict, so a typo fails before anything runs. */
  z.object({ do: z.literal('provider-faults'), faults: providerFaultsSchema.strict() }).strict(),
  /** Faults inside functions (crash after commit, duplicate publish, relay PutEvents partial failures, …): cli/faults.ts `setFunctionFaults`; `[]` clears them. */
  z.object({ do: z.literal('function-faults'), faults: z.array(functionFaultSchema.strict()) }).strict(),
  z.object({ do: z.literal('resilience-profile'), profile: z.string().min(1).optional() }).strict(),
  z.object({ do: z.literal('provider-idempotency'), enabled: z.boolean() }).strict(),
  /** The saga deadline of orders placed from then on (cli/faults.ts `setSagaDeadline`); without `seconds`, the deployed one. */
  z.object({ do: z.literal('saga-deadline'), seconds: sagaDeadlineOverrideSchema.optional() }).strict(),
  /** Cuts the delivery of events between the regions, both ways: the forwarders stop, cross-region events wait in their queues. */
  z.object({ do: z.literal('partition') }).strict(),
  z.object({ do: z.literal('heal-partition') }).strict(),
  /** Caps a context's consumer at `concurrency` concurrent executions (reserved concurrency; 0 stops it). */
  z.object({ do: z.literal('throttle'), context, concurrency: z.number().int().min(0).max(1000).default(1) }).strict(),
  z.object({ do: z.literal('unthrottle'), context }).strict(),
  /** Clears provider and function faults, restores the default resilience profile, heals partitions and throttles. */
  z.object({ do: z.literal('clear-faults') }).strict(),
  /** Sends a copy of the OrderPlaced of up to `orders` orders already placed, `copies` times with one eventId, to the inventory queue. */
  z.object({ do: z.literal('duplicate-deliveries'), orders: z.number().int().min(1).max(100).default(5), copies: z.number().int().min(2).max(10).default(2) }).strict(),
  /** Sends `count` messages that break their contract to each context's consumer queue; the runner then expects each in that DLQ with a reason. */
  z.object({ do: z.literal('poison'), count: z.number().int().min(1).max(20).default(2), contexts: z.array(context).min(1).default(['inventory', 'payments']) }).strict(),
  /** What `duckstore dlq redrive <queues>` does (cli/dlq/redrive.ts): every DLQ the selector names (a name, a kind or `all`) back where it came from. */
  z.object({ do: z.literal('redrive-dead-letters'), queues: z.string().min(1).default('all') }).strict(),
  /** What `duckstore replay --from <load start> --to now` does (cli/dlq/replay.ts): every region's archive of the run so far, onto its bus. */
  z.object({ do: z.literal('replay-archive') }).strict(),
]);
export type Step = z.infer<typeof stepSchema>;
export type StepKind = Step['do'];

export const timedStepSchema = z.intersection(
  z.object({
    /** Seconds after the load starts. */
    at: z.number().min(0).max(3600),
    /** This step ends the fault: recovery is measured from it. @default the last step */
    heals: z.boolean().optional(),
  }),
  stepSchema,
);
export type TimedStep = z.infer<typeof timedStepSchema>;

export const loadSchema = z
  .object({
    /** Orders to place in all. */
    orders: z.number().int().min(0).max(10_000),
    /** POSTs in flight at most. */
    concurrency: z.number().int().min(1).max(100).default(4),
    /** Placements per second at most (open loop); unset: as fast as `concurrency` allows. */
    ratePerSecond: z.number().positive().max(1000).optional(),
    /** SKUs cycled through, one duck per order (the seeded stock of these is large). */
    skus: z.array(z.string().min(1)).min(1).default(['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA']),
  })
  .strict();
export type LoadSpec = z.infer<typeof loadSchema>;

export const expectationsSchema = z
  .object({
    /** Every invariant of the auditor green after healing (outbox bound 0: every downstream effect required). @default true */
    invariants: z.boolean().default(true),
    /** Every accepted order reached CONFIRMED or CANCELLED, and inventory saw it. @default true */
    noLostOrders: z.boolean().default(true),
    /** At most one charge per order at the provider. @default true */
    noDuplicates: z.boolean().default(true),
    /** Share of offered orders the API accepted (202), 0..1: admission control must not refuse everything. */
    minAcceptedRatio: probability.optional(),
    /** At least this many POSTs refused with 503 overloaded (after the client's retries): the load really was above capacity. */
    minRefusedOverloaded: z.number().int().min(1).optional(),
    /** Share of accepted orders CONFIRMED in the end, 0..1. */
    minConfirmedRatio: probability.optional(),
    /**
     * At most this many accepted orders cancelled, whatever the reason (the check names the reasons). 0 says that
     * the fault may slow orders but must never turn into a cancellation, e.g. contention on a hot SKU.
     */
    maxCancelled: z.number().int().min(0).optional(),
    /** Seconds from the healing step until every order is terminal and every working queue is empty. */
    recoverWithinSeconds: z.number().positive().optional(),
    /** Every poison message injected is found in its context's DLQ with a reason (then removed, as its runbook would). @default true when the timeline poisons */
    poisonDeadLettered: z.boolean().optional(),
    /** At most this many of the run's orders authorized and then refunded (the audit's authorize-then-refund count); 0 says the fault must never put a hold on a card. Fails without a provider ledger. */
    maxAuthorizeThenRefund: z.number().int().min(0).optional(),
    /** At least this many dead letters moved back by the timeline's `redrive-dead-letters` steps: the fault really filled a DLQ, so the redrive was tested. */
    minRedriven: z.number().int().min(1).optional(),
    /** Every DLQ empty at the end (the run's own poison removed): the fault parked nothing for an operator. */
    noDeadLetters: z.boolean().optional(),
    /** Provider requests of every kind (authorizations, refunds, look-ups, probes) per order placed, at most. */
    maxAmplification: z.number().positive().optional(),
  })
  .strict();
export type Expectations = z.infer<typeof expectationsSchema>;

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case'),
    description: z.string().min(1),
    /** Which suites run it: `ci` (short, in the e2e suite) and/or `all`. */
    sets: z.array(z.enum(['ci', 'all'])).min(1).default(['all']),
    load: loadSchema,
    timeline: z.array(timedStepSchema).default([]),
    expect: expectationsSchema.default({ invariants: true, noLostOrders: true, noDuplicates: true }),
    /** How long to wait after the timeline for every order to end and the audit to turn green. @default 150 s (local saga deadline 30 s + sweep grace 10 s + a sweep tick, with margin) */
    convergenceSeconds: z.number().positive().max(3600).default(150),
  })
  .strict();
export type Scenario = z.infer<typeof scenarioSchema>;

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** chaos/scenarios/ of this checkout. */
export const scenariosDirectory = fileURLToPath(new URL('../../chaos/scenarios/', import.meta.url));

/** Parses a scenario, naming the file and every problem found. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(`${source}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  const scenario = parsed.data;
  const steps = [...scenario.timeline].sort((a, b) => a.at - b.at);
  if (steps.filter((step) => step.heals).length > 1) throw new ScenarioError(`${source}: at most one step may say "heals": true`);
  return { ...scenario, timeline: steps };
}

/** A scenario by name (chaos/scenarios/<name>.json) or by path. */
export function loadScenario(nameOrPath: string, directory = scenariosDirectory): Scenario {
  const byName = join(directory, `${nameOrPath}.json`);
  const file = existsSync(byName) ? byName : resolve(nameOrPath);
  if (!existsSync(file)) throw new ScenarioError(`no scenario "${nameOrPath}": not in ${directory} and not a file (try \`duckstore chaos list\`)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ScenarioError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const scenario = parseScenario(raw, file);
  if (file === byName && scenario.name !== basename(file, '.json')) throw new ScenarioError(`${file}: name "${scenario.name}" differs from the file name`);
  return scenario;
}

/** Every scenario in the directory, by name. */
export function listScenarios(directory = scenariosDirectory): Scenario[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => loadScenario(basename(file, '.json'), directory));
}

/** When the fault ends: the step marked `heals`, else the last step (0 without a timeline). */
export const healingAt = (scenario: Pick<Scenario, 'timeline'>): number => (scenario.timeline.find((step) => step.heals) ?? scenario.timeline.at(-1))?.at ?? 0;
