import type { ContextName } from '#contracts/envelope';
import type { FunctionFault, ProviderFaults } from '#contracts/controls';
import { defaultAuditOptions, type AuditReport } from '../../functions/auditor/domain/report';
import { auditUntilGreen } from '../../functions/auditor/domain/use-cases';
import type { OrdersApiClient } from '../api-client';
import { auditPortsOf } from '../audit-sources';
import type { Deployment } from '../deployment';
import { deadLetterQueuesOf, selectDeadLetterQueues } from '../dlq/catalog';
import { depthOf, redriveEach, type RedriveOutcome } from '../dlq/redrive';
import { replayRegions, type ReplayOutcome } from '../dlq/replay';
import { evaluate, type Check } from './expectations';
import { collectPoison, deliverDuplicates, injectPoison, type DeadLetteredPoison, type InjectedPoison } from './inject';
import { OrderTracker, placeOrders, type LoadRun } from './load';
import { busyQueues, chargeAfterCancelOf, ledgerSummary, lostOrders, runFigures, type ChargeAfterCancel, type LostOrder, type RunFigures } from './measure';
import { callsBetween, totalCalls, type ProviderCalls } from './provider-calls';
import type { Scenario, TimedStep } from './scenario';

/**
 * What the runner needs to switch faults on and off. The real one is built
 * from cli/faults.ts (`faultDriverOf`); unit tests give a recording fake.
 */
export interface FaultDriver {
  setProviderFaults(faults: ProviderFaults): Promise<void>;
  setFunctionFaults(faults: FunctionFault[]): Promise<void>;
  setResilienceProfile(profile: string | undefined): Promise<void>;
  setProviderIdempotency(enabled: boolean): Promise<void>;
  /** The saga deadline of new orders; undefined: as deployed. */
  setSagaDeadline(seconds: number | undefined): Promise<void>;
  partition(): Promise<void>;
  healPartition(): Promise<void>;
  throttle(context: ContextName, concurrency: number): Promise<void>;
  unthrottle(context: ContextName): Promise<void>;
  /** Back to normal: no fault, default profile, provider idempotency on, no partition, no throttle. */
  clearAll(): Promise<void>;
  /** Requests the provider has received so far (failed ones included); undefined when it cannot tell. */
  providerCalls(): Promise<ProviderCalls | undefined>;
}

/** What happened to one step of the timeline. */
export interface StepRecord {
  at: number;
  /** Seconds after the load started when it was done. */
  doneAt: number;
  do: TimedStep['do'];
  detail: string;
  error?: string;
}

export interface ChaosReport {
  scenario: string;
  description: string;
  target: string;
  startedAt: string;
  durationMs: number;
  steps: StepRecord[];
  figures: RunFigures;
  /** Provider requests during the run (authorizations and refunds, failed ones included); undefined without a call count. */
  providerCalls: ProviderCalls | undefined;
  /** Authorization requests ÷ accepted orders: how much the retries multiplied the load on the provider. */
  amplification: number | undefined;
  duplicates: string[];
  lost: LostOrder[];
  /** Seconds from the healing step until every order was CONFIRMED or CANCELLED; undefined if that never happened. */
  settledSeconds: number | undefined;
  /** Seconds from the healing step until every order had ended and every working queue was empty; undefined if that never happened or was not waited for. */
  recoverySeconds: number | undefined;
  poison: DeadLetteredPoison[];
  /** Messages in any DLQ when the run ended (the run's own poison removed). */
  deadLettersAtEnd: { queue: string; messages: number }[];
  duplicateDeliveries: { orders: number; messages: number } | undefined;
  /** What the timeline's `redrive-dead-letters` and `replay-archive` steps did, one outcome per DLQ and per region. */
  redrives: RedriveOutcome[];
  replays: ReplayOutcome[];
  /** Invariant 8 and the run's authorize-then-refund count, split at the healing step: every scenario reports them. */
  chargeAfterCancel: ChargeAfterCancel;
  audit: {
    ok: boolean;
    attempts: number;
    waitedMs: number;
    failed: { id: number; title: string; violations: number; orderIds: string[] }[];
    /** Orders of this run named by a violated invariant (the audit covers the whole deployment, earlier runs included). */
    runOrdersInViolation: string[];
    report: AuditReport;
  };
  checks: Check[];
  ok: boolean;
}

export interface RunOptions {
  api: OrdersApiClient;
  driver: FaultDriver;
  /** Progress lines (the CLI prints them unless --json). */
  log?: (line: string) => void;
  /** Skip the final clear (the experiment clears between configurations itself). @default false */
  keepFaults?: boolean;
  /**
   * Wait for every working queue to be empty before auditing, to measure recovery. Off, the runner goes on as
   * soon as every order has ended, leaving a redelivery that will be a no-op in flight (the CI set does, to stay
   * short). Always on for a scenario that expects a recovery time. @default true
   */
  waitForQuietQueues?: boolean;
  /** How long to audit until green. @default what is left of the scenario's convergence time, at least 30 s */
  auditTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const seconds = (from: number, to = Date.now()) => Number(((to - from) / 1000).toFixed(1));

interface StepContext {
  deployment: Deployment;
  driver: FaultDriver;
  load: LoadRun;
  poison: InjectedPoison[];
  duplicates: { value?: { orders: number; messages: number } };
  redrives: RedriveOutcome[];
  replays: ReplayOutcome[];
  /** Operator records of the recovery steps name the scenario. */
  actor: string;
}

/** Runs one step; returns what it did, for the report. */
async function perform(step: TimedStep, context: StepContext): Promise<string> {
  const { driver } = context;
  switch (step.do) {
    case 'provider-faults':
      await driver.setProviderFaults(step.faults);
      return Object.keys(step.faults).length ? JSON.stringify(step.faults) : 'cleared';
    case 'function-faults':
      await driver.setFunctionFaults(step.faults);
      return step.faults.length ? step.faults.map((fault) => `${fault.kind}@${fault.target} ${fault.rate}`).join(', ') : 'cleared';
    case 'resilience-profile':
      await driver.setResilienceProfile(step.profile);
      return step.profile ?? 'default';
    case 'provider-idempotency':
      await driver.setProviderIdempotency(step.enabled);
      return step.enabled ? 'on' : 'off';
    case 'saga-deadline':
      await driver.setSagaDeadline(step.seconds);
      return step.seconds === undefined ? 'as deployed' : `${step.seconds} s for new orders`;
    case 'partition':
      await driver.partition();
      return 'between the regions, both ways';
    case 'heal-partition':
      await driver.healPartition();
      return 'healed';
    case 'throttle':
      await driver.throttle(step.context, step.concurrency);
      return `${step.context} consumer at ${step.concurrency} concurrent execution(s)`;
    case 'unthrottle':
      await driver.unthrottle(step.context);
      return step.context;
    case 'clear-faults':
      await driver.clearAll();
      return 'everything back to normal';
    case 'duplicate-deliveries': {
      // The most recent orders: their OrderPlaced is most likely still in flight, so the copies race the original.
      const recent = context.load.orders.slice(-step.orders);
      context.duplicates.value = await deliverDuplicates(context.deployment, recent, step.copies);
      return `${context.duplicates.value.messages} copies of ${context.duplicates.value.orders} OrderPlaced event(s)`;
    }
    case 'poison': {
      const injected = await injectPoison(context.deployment, step.contexts, step.count);
      context.poison.push(...injected);
      return `${injected.length} poison message(s) to ${step.contexts.join(', ')}`;
    }
    case 'redrive-dead-letters': {
      const queues = selectDeadLetterQueues(deadLetterQueuesOf(context.deployment), step.queues);
      if (queues.length === 0) throw new Error(`no DLQ matches "${step.queues}"`);
      const outcomes = await redriveEach(context.deployment, queues, { filter: {}, dryRun: false, actor: context.actor });
      context.redrives.push(...outcomes);
      const moved = outcomes.filter((outcome) => outcome.moved > 0);
      return `${queues.length} DLQ(s): ${moved.map((outcome) => `${outcome.queue} ${outcome.moved} (${outcome.method})`).join(', ') || 'nothing to move'}${outcomes.some((outcome) => outcome.failed > 0) ? `; failed ${outcomes.reduce((sum, outcome) => sum + outcome.failed, 0)}` : ''}`;
    }
    case 'replay-archive': {
      // The whole run so far: every event of it goes round again, duplicates of what was already consumed included.
      const outcomes = await replayRegions(context.deployment, { from: new Date(context.load.startedAt), to: new Date(), dryRun: false, actor: context.actor });
      context.replays.push(...outcomes);
      const unfinished = outcomes.filter((outcome) => outcome.state !== 'COMPLETED');
      if (unfinished.length > 0) throw new Error(`replay ${unfinished.map((outcome) => `${outcome.region} ${outcome.state}`).join(', ')}`);
      return `${outcomes.map((outcome) => `${outcome.region} ${outcome.state}`).join(', ')} (${new Date(context.load.startedAt).toISOString()} .. now)`;
    }
  }
}

/**
 * Runs a scenario: starts the load, plays the timeline against it, waits for
 * the system to converge after the healing step, audits every invariant,
 * measures, and checks the scenario's expectations. Whatever happens, every
 * fault is cleared at the end (unless `keepFaults`).
 */
export async function runScenario(deployment: Deployment, scenario: Scenario, options: RunOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const { driver } = options;
  const started = Date.now();
  const steps: StepRecord[] = [];
  const poison: InjectedPoison[] = [];
  const duplicates: { value?: { orders: number; messages: number } } = {};
  const redrives: RedriveOutcome[] = [];
  const replays: ReplayOutcome[] = [];
  const tracker = new OrderTracker(deployment);
  let healedAt: number | undefined;

  const callsBefore = await driver.providerCalls();
  log(`${scenario.name}: ${scenario.load.orders} orders, ${scenario.load.concurrency} in flight${scenario.load.ratePerSecond ? `, ${scenario.load.ratePerSecond}/s` : ''}; ${scenario.timeline.length} step(s)`);
  const load: LoadRun = { runId: '', startedAt: Date.now(), placedAt: 0, orders: [], rejected: [], postP50Ms: undefined };
  const loadStart = Date.now();
  const placing = placeOrders(options.api, scenario.load, { onPlaced: (order) => load.orders.push(order) }).then((run) => Object.assign(load, { ...run, orders: load.orders }));
  const healStep = scenario.timeline.find((step) => step.heals) ?? scenario.timeline.at(-1);

  try {
    for (const step of scenario.timeline) {
      const due = loadStart + step.at * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      const record: StepRecord = { at: step.at, doneAt: 0, do: step.do, detail: '' };
      try {
        record.detail = await perform(step, { deployment, driver, load, poison, duplicates, redrives, replays, actor: `chaos-${scenario.name}` });
      } catch (error) {
        record.error = (error as Error).message;
        throw error;
      } finally {
        record.doneAt = seconds(loadStart);
        steps.push(record);
        log(`  t+${record.doneAt}s ${step.do}: ${record.error ? `FAILED ${record.error}` : record.detail}`);
      }
      if (step === healStep) healedAt = Date.now();
    }
    await placing;
    healedAt ??= loadStart;
    log(`  placed ${load.orders.length} order(s) in ${seconds(loadStart, load.placedAt)} s (${load.rejected.length} POST(s) refused, ${load.overloadedAnswers ?? 0} answer(s) 503 overloaded); waiting for the sagas to end (at most ${scenario.convergenceSeconds} s)`);

    // Settled: every order terminal. Recovered: settled and every working queue empty, twice in a row a second
    // apart (a consumer may be between one hop and the next). Both measured from the healing step.
    const convergeBy = Date.now() + scenario.convergenceSeconds * 1000;
    const waitForQueues = (options.waitForQuietQueues ?? true) || scenario.expect.recoverWithinSeconds !== undefined;
    let settledSeconds: number | undefined;
    let recoverySeconds: number | undefined;
    let quietSince: number | undefined;
    let busy: string[] = [];
    for (;;) {
      const pending = await tracker.refresh(load.orders);
      if (pending === 0) settledSeconds ??= seconds(healedAt);
      if (pending === 0 && !waitForQueues) break;
      busy = pending === 0 ? await busyQueues(deployment) : [`${pending} order(s) PENDING`];
      if (busy.length > 0) quietSince = undefined;
      else if (quietSince === undefined) quietSince = Date.now();
      else {
        recoverySeconds = seconds(healedAt, quietSince);
        break;
      }
      if (Date.now() >= convergeBy) break;
      await sleep(1000);
    }
    log(
      `  ${settledSeconds === undefined ? `orders still PENDING after ${scenario.convergenceSeconds} s` : `every order ended ${settledSeconds} s after the healing step`}` +
        (waitForQueues ? `; ${recoverySeconds === undefined ? `not recovered: ${busy.join(', ')}` : `recovered (queues empty) after ${recoverySeconds} s`}` : ''),
    );

    const collected = poison.length > 0 ? await collectPoison(deployment, poison) : [];
    if (collected.length) log(`  poison: ${collected.filter((message) => message.reason).length} of ${collected.length} found in their DLQs with a reason, removed`);

    // After the poison the scenario put there itself is collected: what is left, a fault parked.
    const deadLettersAtEnd = (
      await Promise.all(deadLetterQueuesOf(deployment).map(async (queue) => ({ queue: queue.name, region: queue.region, ...(await depthOf(deployment, queue)) })))
    )
      .filter((depth) => depth.visible + depth.inFlight > 0)
      .map((depth) => ({ queue: `${depth.region}/${depth.queue}`, messages: depth.visible + depth.inFlight }));

    log('  auditing every invariant until green (outbox bound 0)');
    const ports = auditPortsOf(deployment);
    const audited = await auditUntilGreen(ports, { outboxBound: 0, grace: defaultAuditOptions.grace, timeoutMs: options.auditTimeoutMs ?? Math.max(30_000, convergeBy - Date.now()) }).finally(() => ports.destroy());
    const callsAfter = await driver.providerCalls();
    const providerCalls = callsBetween(callsBefore, callsAfter);
    const runOrderIds = new Set(load.orders.map((order) => order.orderId));
    const ledger = await ledgerSummary(deployment, runOrderIds);
    const lost = await lostOrders(deployment, load.orders);
    const figures = runFigures(load, scenario.load.orders);

    const report: Omit<ChaosReport, 'checks' | 'ok'> = {
      scenario: scenario.name,
      description: scenario.description,
      target: deployment.target.name,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      steps,
      figures,
      providerCalls,
      amplification: providerCalls && load.orders.length > 0 ? Number((totalCalls(providerCalls) / load.orders.length).toFixed(2)) : undefined,
      duplicates: ledger?.duplicates ?? [],
      lost,
      settledSeconds,
      recoverySeconds,
      poison: collected,
      deadLettersAtEnd,
      duplicateDeliveries: duplicates.value,
      redrives,
      replays,
      chargeAfterCancel: chargeAfterCancelOf(audited.report, runOrderIds, healedAt),
      audit: {
        ok: audited.report.ok,
        attempts: audited.attempts,
        waitedMs: audited.waitedMs,
        failed: audited.report.invariants.filter((invariant) => !invariant.passed).map(({ id, title, violations, orderIds }) => ({ id, title, violations, orderIds: orderIds.slice(0, 10) })),
        runOrdersInViolation: [...new Set(audited.report.invariants.flatMap((invariant) => (invariant.passed ? [] : invariant.orderIds)))].filter((orderId) => runOrderIds.has(orderId)),
        report: audited.report,
      },
    };
    const checks = evaluate(scenario, report);
    return { ...report, checks, ok: checks.every((check) => check.passed) };
  } finally {
    // A failed step or a crash must not leave the shared cloud broken.
    await placing.catch(() => undefined);
    if (!options.keepFaults) await driver.clearAll();
  }
}
