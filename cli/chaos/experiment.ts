import { cpus, freemem, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrdersApiClient } from '../api-client';
import type { Deployment } from '../deployment';
import { screenshot } from '../tracing/screenshot';
import { experimentChartSvg, type ChartRow } from './chart';
import { busyQueues, type ChargeAfterCancel } from './measure';
import { runScenario, type ChaosReport, type FaultDriver } from './runner';
import { loadScenario, parseScenario, type Scenario } from './scenario';

/**
 * The resilience experiment: the configurations of the published
 * microservice resilience study, from "no resilience" to "+ idempotency and
 * outbox", each measured in turn on the same deployment with the same load
 * under the same provider fault (20% errors), faults cleared and the system
 * drained between them; then the provider-outage scenario.
 */

export interface Configuration {
  label: string;
  /** functions/shared/resilience/profiles.ts `resilienceProfileNames`. */
  profile: string;
  /** Whether the payments client sends its Idempotency-Key to the provider. */
  providerIdempotency: boolean;
  /** The study's figures for this configuration, where it gives them. */
  published?: { success: number; amplification: number };
}

/**
 * Provider idempotency stays off until the last configuration, as the study
 * adds "idempotency and outbox" last. The outbox itself cannot be switched
 * off in DuckStore: every configuration publishes through it.
 */
export const configurations: readonly Configuration[] = [
  { label: 'no resilience', profile: 'none', providerIdempotency: false },
  { label: 'retries only', profile: 'retries', providerIdempotency: false, published: { success: 0.51, amplification: 2.6 } },
  { label: '+ timeouts', profile: 'timeouts', providerIdempotency: false },
  { label: '+ circuit breaker', profile: 'breaker', providerIdempotency: false },
  { label: '+ bulkheads and shedding', profile: 'bulkhead', providerIdempotency: false },
  { label: '+ idempotency and outbox', profile: 'full', providerIdempotency: true, published: { success: 0.94, amplification: 1.1 } },
];

export interface ExperimentSettings {
  orders: number;
  concurrency: number;
  ratePerSecond: number;
  errorRate: number;
  /** Run the provider-outage scenario after the configurations. */
  outage: boolean;
  /** Only these profiles (all by default). */
  profiles?: string[];
}

export const defaultExperimentSettings: ExperimentSettings = { orders: 40, concurrency: 4, ratePerSecond: 1, errorRate: 0.2, outage: true };

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  freeMemoryGb: number;
  arch: string;
  node: string;
  platform: string;
}

export const machine = (): Machine => ({
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  freeMemoryGb: Math.round(freemem() / 2 ** 30),
  arch: process.arch,
  node: process.version,
  platform: process.platform,
});

/** A report without the audit's full findings (they stay in the per-scenario JSON), for the experiment's JSON. */
export type CompactReport = Omit<ChaosReport, 'audit'> & { audit: Omit<ChaosReport['audit'], 'report'> };
const compact = (report: ChaosReport): CompactReport => {
  const { report: _full, ...audit } = report.audit;
  return { ...report, audit };
};

export interface ExperimentResult {
  startedAt: string;
  durationMs: number;
  target: string;
  command: string;
  machine: Machine;
  settings: ExperimentSettings;
  configurations: (Configuration & { report: CompactReport })[];
  /** `provider-outage-60s` at the deployed (local: 30 s) deadline, then at the AWS default of 300 s. */
  outage: CompactReport | undefined;
  outageAtAwsDeadline?: CompactReport | undefined;
}

/** The outage scenarios the experiment ends with, and what each line calls its deadline. */
const outageScenarios = [
  { scenario: 'provider-outage-60s', deadline: 'the deployed saga deadline' },
  { scenario: 'provider-outage-60s-aws-deadline', deadline: 'the AWS default saga deadline, 300 s' },
] as const;

/** The scenario one configuration runs: the fault for the whole placement window, healed when the last order is placed. */
export function configurationScenario(configuration: Configuration, settings: ExperimentSettings): Scenario {
  const loadSeconds = Math.ceil(settings.orders / settings.ratePerSecond);
  return parseScenario({
    name: `experiment-${configuration.profile}`,
    description: `${configuration.label}: ${settings.errorRate * 100}% provider errors while ${settings.orders} orders are placed`,
    load: { orders: settings.orders, concurrency: settings.concurrency, ratePerSecond: settings.ratePerSecond },
    timeline: [{ at: loadSeconds, do: 'provider-faults', faults: {}, heals: true }],
    // Recorded, not required: "no resilience" is expected to do badly.
    expect: { invariants: true, noLostOrders: true, noDuplicates: true },
    convergenceSeconds: 240,
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function drain(deployment: Deployment, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = await busyQueues(deployment);
    if (busy.length === 0) return;
    if (Date.now() >= deadline) {
      log(`  queues still busy after ${timeoutMs / 1000} s (${busy.join(', ')}); going on`);
      return;
    }
    await sleep(2000);
  }
}

export async function runExperiment(
  deployment: Deployment,
  settings: ExperimentSettings,
  options: { api: OrdersApiClient; driver: FaultDriver; command: string; log?: (line: string) => void },
): Promise<ExperimentResult> {
  const log = options.log ?? (() => {});
  const { driver } = options;
  const started = Date.now();
  const results: ExperimentResult['configurations'] = [];
  const chosen = configurations.filter((configuration) => !settings.profiles || settings.profiles.includes(configuration.profile));
  for (const configuration of chosen) {
    log(`\n== ${configuration.label} (profile ${configuration.profile}, provider idempotency ${configuration.providerIdempotency ? 'on' : 'off'}) ==`);
    await driver.clearAll();
    await drain(deployment, 180_000, log);
    await driver.setResilienceProfile(configuration.profile);
    await driver.setProviderIdempotency(configuration.providerIdempotency);
    await driver.setProviderFaults({ errorRate: settings.errorRate });
    // The functions cache the control document for about 2 s: every order of the run must see the configuration.
    await sleep(4000);
    const report = await runScenario(deployment, configurationScenario(configuration, settings), { api: options.api, driver, log, auditTimeoutMs: 20_000 });
    results.push({ ...configuration, report: compact(report) });
  }
  const outages: CompactReport[] = [];
  for (const { scenario, deadline } of settings.outage ? outageScenarios : []) {
    log(`\n== provider outage 60 s at ${deadline} (default profile: full) ==`);
    await driver.clearAll();
    await drain(deployment, 180_000, log);
    await sleep(4000);
    outages.push(compact(await runScenario(deployment, loadScenario(scenario), { api: options.api, driver, log, auditTimeoutMs: 30_000 })));
  }
  await driver.clearAll();
  const [outage, outageAtAwsDeadline] = outages;
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    target: deployment.target.name,
    command: options.command,
    machine: machine(),
    settings,
    configurations: results,
    outage,
    ...(outageAtAwsDeadline ? { outageAtAwsDeadline } : {}),
  };
}

const pct = (value: number) => `${(value * 100).toFixed(0)}%`;
const ms = (value: number | undefined) => (value === undefined ? '–' : `${(value / 1000).toFixed(1)} s`);
const amp = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(2)}×`);
const recovery = (report: CompactReport) => (report.recoverySeconds === undefined ? 'not within the wait' : `${report.recoverySeconds.toFixed(0)} s`);
const audit = (report: CompactReport) =>
  report.audit.runOrdersInViolation.length === 0 && report.audit.ok
    ? 'green'
    : report.audit.runOrdersInViolation.length === 0
      ? 'green for these orders'
      : `${report.audit.runOrdersInViolation.length} order(s) violate ${report.audit.failed.map((invariant) => invariant.id).join(', ')}`;

/** Authorize-then-refund of the run's orders, `total (cancelled before / after the heal)`; `–` for results measured before it was counted. */
const refunds = (report: CompactReport) => {
  const figures = (report.chargeAfterCancel as ChargeAfterCancel | undefined)?.authorizeThenRefund;
  return figures === undefined ? '–' : `${figures.run} (${figures.cancelledBeforeHeal} / ${figures.cancelledAfterHeal})`;
};

/** One outage scenario's figures, in a sentence. */
function outageLine(report: CompactReport, { scenario, deadline }: (typeof outageScenarios)[number]): string {
  return (
    `Provider outage at ${deadline} (scenario \`${scenario}\`, default profile \`full\`): ${report.figures.offered} orders, the provider down for 60 s: ` +
    `${pct(report.figures.eventualSuccess)} confirmed (${pct(report.figures.successWithinDeadline)} by the deadline), cancelled ${Object.entries(report.figures.cancelled).map(([reason, count]) => `${count} ${reason}`).join(', ') || 'none'}, ` +
    `saga p50 / p95 ${ms(report.figures.sagaP50Ms)} / ${ms(report.figures.sagaP95Ms)}, amplification ${amp(report.amplification)}${report.providerCalls ? ` (${report.providerCalls.authorize} authorize + ${report.providerCalls.refund} refund + ${report.providerCalls.lookup} look-up)` : ''}, ` +
    `duplicate charges ${report.duplicates.length}, authorized then refunded ${refunds(report)}, lost ${report.lost.length}, DLQ messages at the end ${report.deadLettersAtEnd ? report.deadLettersAtEnd.reduce((sum, dlq) => sum + dlq.messages, 0) : '–'}, ` +
    `recovered ${recovery(report)} after the provider came back, invariants ${audit(report)}.`
  );
}

/** The measured table, in Markdown. */
export function resultTable(result: ExperimentResult): string[] {
  const rows = result.configurations.map(({ label, profile, report }) => {
    const f = report.figures;
    return `| ${label} (\`${profile}\`) | ${pct(f.successWithinDeadline)} | ${pct(f.eventualSuccess)} | ${ms(f.confirmedP50Ms)} / ${ms(f.confirmedP95Ms)} | ${ms(f.sagaP95Ms)} | ${amp(report.amplification)} | ${report.duplicates.length} | ${refunds(report)} | ${report.lost.length} | ${recovery(report)} | ${audit(report)} |`;
  });
  return [
    '| configuration (profile) | success by the deadline | eventual success | saga p50 / p95 (confirmed) | saga p95 (all, cancelled included) | amplification | duplicate charges | authorized then refunded (cancelled before / after the heal) | lost orders | recovery after the fault | invariants (these orders) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ];
}

/** Writes the JSON, the SVG chart (and a PNG when a Chromium is installed); returns their paths. */
export function writeExperimentArtifacts(result: ExperimentResult, directory: string): { json: string; svg: string; png: string | undefined } {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, 'experiment-results.json');
  writeFileSync(json, JSON.stringify(result, null, 2));
  const rows: ChartRow[] = result.configurations.map(({ label, report, published }) => ({
    label,
    eventualSuccess: report.figures.eventualSuccess,
    successWithinDeadline: report.figures.successWithinDeadline,
    amplification: report.amplification,
    ...(published ? { published } : {}),
  }));
  const svg = join(directory, 'experiment-chart.svg');
  writeFileSync(
    svg,
    experimentChartSvg(rows, `DuckStore under ${result.settings.errorRate * 100}% payment-provider errors`, `${result.settings.orders} orders per configuration at ${result.settings.ratePerSecond}/s, ${result.machine.cpus} CPUs, ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC, target ${result.target}`),
  );
  const png = join(directory, 'experiment-chart.png');
  return { json, svg, png: screenshot(svg, png, { width: 1200, height: 540 }) ? png : undefined };
}

const resultsStart = '<!-- experiment results: written by `npm run experiment`; edit outside these markers -->';
const resultsEnd = '<!-- end of experiment results -->';

/** The generated part of docs/experiment.md: when, where, how, the table, the chart, the outage. */
export function resultsSection(result: ExperimentResult, artifacts: { svg: string; png: string | undefined }, relative: (path: string) => string): string[] {
  const { machine: m, settings } = result;
  const full = result.configurations.find((configuration) => configuration.profile === 'full');
  const retries = result.configurations.find((configuration) => configuration.profile === 'retries');
  const outage = result.outage;
  return [
    resultsStart,
    '',
    `Measured ${result.startedAt.slice(0, 19).replace('T', ' ')} UTC, in ${(result.durationMs / 60_000).toFixed(1)} min, on target \`${result.target}\`.`,
    '',
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB RAM (${m.freeMemoryGb} GB free at the end), ${m.platform} ${m.arch}, Node ${m.node}; shared with other work while it ran.`,
    `- Command: \`${result.command}\``,
    `- Load per configuration: ${settings.orders} orders, one duck each, placed at ${settings.ratePerSecond}/s with at most ${settings.concurrency} POSTs in flight; ${settings.errorRate * 100}% of provider requests answer HTTP 500 while they are placed, then the fault is cleared and the system drains.`,
    '',
    ...resultTable(result),
    '',
    `![success and amplification per configuration](${relative(artifacts.png ?? artifacts.svg)})`,
    ...(artifacts.png ? ['', `(vector: [${relative(artifacts.svg)}](${relative(artifacts.svg)}))`] : []),
    '',
    '| | published study | DuckStore, this run |',
    '|---|---:|---:|',
    `| naive retries: success | 51% | ${retries ? `${pct(retries.report.figures.successWithinDeadline)} by the deadline, ${pct(retries.report.figures.eventualSuccess)} eventually` : 'not run'} |`,
    `| naive retries: amplification | 2.6× | ${retries ? amp(retries.report.amplification) : 'not run'} |`,
    `| full configuration: success | 94% | ${full ? `${pct(full.report.figures.successWithinDeadline)} by the deadline, ${pct(full.report.figures.eventualSuccess)} eventually` : 'not run'} |`,
    `| full configuration: amplification | 1.1× | ${full ? amp(full.report.amplification) : 'not run'} |`,
    '',
    ...(outage
      ? [outage, result.outageAtAwsDeadline].flatMap((report, index) => (report ? [outageLine(report, outageScenarios[index]!), ''] : [])).slice(0, -1)
      : ['The provider-outage scenarios were not run (--no-outage).']),
    '',
    resultsEnd,
  ];
}

/** Replaces the generated section of the note (or appends it); the hand-written text around it stays. */
export function mergeResults(existing: string | undefined, section: string[], skeleton: string): string {
  const text = existing ?? skeleton;
  const start = text.indexOf(resultsStart);
  const end = text.indexOf(resultsEnd);
  if (start === -1 || end === -1) return `${text.trimEnd()}\n\n${section.join('\n')}\n`;
  return `${text.slice(0, start)}${section.join('\n')}${text.slice(end + resultsEnd.length)}`;
}
