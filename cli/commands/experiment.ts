import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { OrdersApiClient } from '../api-client';
import { faultDriverOf } from '../chaos/driver';
import { configurations, defaultExperimentSettings, mergeResults, resultsSection, resultTable, runExperiment, writeExperimentArtifacts, type ExperimentResult, type ExperimentSettings } from '../chaos/experiment';
import type { Command } from '../command';
import { discoverDeployment, ordersApiUrl } from '../deployment';
import { UsageError } from '../targets';

const skeleton = `# The resilience experiment

What \`npm run experiment\` measures, and what it found. The section between
the markers below is rewritten by every run; the rest is the analysis.
`;

/** Writes the JSON, the chart and the generated section of DIR/experiment.md. */
function writeNote(docs: string, result: ExperimentResult): { note: string; artifacts: ReturnType<typeof writeExperimentArtifacts> } {
  const artifacts = writeExperimentArtifacts(result, docs);
  const note = join(docs, 'experiment.md');
  const relativeToNote = (path: string) => relative(dirname(note), path);
  writeFileSync(note, mergeResults(existsSync(note) ? readFileSync(note, 'utf8') : undefined, resultsSection(result, artifacts, relativeToNote), skeleton));
  return { note, artifacts };
}

function positive(name: string, raw: string | undefined, fallback: number, { integer = true, max = Infinity } = {}): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) throw new UsageError(`--${name} takes a ${integer ? 'whole ' : ''}number > 0${Number.isFinite(max) ? ` and ≤ ${max}` : ''}, got "${raw}"`);
  return value;
}

export const experimentCommand: Command = {
  name: 'experiment',
  usage: 'experiment [--orders N] [--concurrency N] [--rate PER_SECOND] [--error-rate 0.2] [--profiles none,retries,…] [--no-outage] [--docs DIR] [--command TEXT] [--render-only]',
  summary: 'the resilience experiment: every configuration from "no resilience" to "full" under 20% provider errors, then a 60 s outage; writes DIR/experiment.md, a chart and JSON',
  options: {
    orders: { type: 'string' },
    concurrency: { type: 'string' },
    rate: { type: 'string' },
    'error-rate': { type: 'string' },
    profiles: { type: 'string' },
    'no-outage': { type: 'boolean', default: false },
    'render-only': { type: 'boolean', default: false },
    docs: { type: 'string', default: 'docs' },
    command: { type: 'string' },
  },
  async run(context) {
    const values = context.values as Record<'orders' | 'concurrency' | 'rate' | 'error-rate' | 'profiles' | 'docs' | 'command', string | undefined> & {
      'no-outage': boolean;
      'render-only': boolean;
    };
    const docs = resolve(values.docs ?? 'docs');
    if (values['render-only']) {
      // Redraws the note and the chart from the last run's JSON: no new measurement.
      const result = JSON.parse(readFileSync(join(docs, 'experiment-results.json'), 'utf8')) as ExperimentResult;
      writeNote(docs, result);
      context.out(`redrawn from ${join(docs, 'experiment-results.json')} (measured ${result.startedAt})`);
      return 0;
    }
    const profiles = values.profiles?.split(',').map((profile) => profile.trim());
    const unknown = profiles?.filter((profile) => !configurations.some((configuration) => configuration.profile === profile));
    if (unknown?.length) throw new UsageError(`--profiles: unknown ${unknown.join(', ')}; use ${configurations.map((configuration) => configuration.profile).join(', ')}`);
    const settings: ExperimentSettings = {
      orders: positive('orders', values.orders, defaultExperimentSettings.orders),
      concurrency: positive('concurrency', values.concurrency, defaultExperimentSettings.concurrency),
      ratePerSecond: positive('rate', values.rate, defaultExperimentSettings.ratePerSecond, { integer: false }),
      errorRate: positive('error-rate', values['error-rate'], defaultExperimentSettings.errorRate, { integer: false, max: 1 }),
      outage: !values['no-outage'],
      ...(profiles ? { profiles } : {}),
    };
    const command = values.command ?? `npx duckstore ${process.argv.slice(2).join(' ')}`;

    const deployment = await discoverDeployment(context.target, context.topology);
    const api = new OrdersApiClient(ordersApiUrl(deployment), context.token);
    const log = (line: string) => (context.json ? undefined : context.out(line));
    const result = await runExperiment(deployment, settings, { api, driver: faultDriverOf(deployment), command, log });

    const { note, artifacts } = writeNote(docs, result);

    if (context.json) context.out(JSON.stringify(result, null, 2));
    else for (const line of ['', ...resultTable(result), '', `written: ${note}, ${artifacts.json}, ${artifacts.svg}${artifacts.png ? `, ${artifacts.png}` : ' (no Chromium: no PNG)'}`]) context.out(line);
    return 0;
  },
};
