import { OrdersApiClient } from '../api-client';
import { faultDriverOf } from '../chaos/driver';
import { formatChaosReport, formatSuite, writeReport } from '../chaos/report';
import { runScenario, type ChaosReport } from '../chaos/runner';
import { listScenarios, loadScenario, ScenarioError, type Scenario } from '../chaos/scenario';
import { table, type Command, type CommandContext } from '../command';
import { discoverDeployment, ordersApiUrl } from '../deployment';
import { UsageError } from '../targets';

const defaultReportDir = '.local/reports';

export const chaosListCommand: Command = {
  name: 'chaos list',
  usage: 'chaos list',
  summary: 'list the chaos scenarios of chaos/scenarios/ and the sets they belong to',
  async run(context) {
    const scenarios = listScenarios();
    if (context.json) context.out(JSON.stringify(scenarios, null, 2));
    else context.out(table([['scenario', 'sets', 'orders', 'steps', 'description'], ...scenarios.map((s) => [s.name, s.sets.join(','), s.load.orders, s.timeline.length, s.description.slice(0, 90)])]));
    return 0;
  },
};

/** Runs scenarios one after another on one deployment; exit 1 if any expectation failed. */
async function runAll(context: CommandContext, scenarios: Scenario[], reportDir: string): Promise<{ reports: ChaosReport[]; paths: string[] }> {
  const deployment = await discoverDeployment(context.target, context.topology);
  const api = new OrdersApiClient(ordersApiUrl(deployment), context.token);
  const driver = faultDriverOf(deployment);
  const log = (line: string) => (context.json ? undefined : context.out(line));
  const reports: ChaosReport[] = [];
  const paths: string[] = [];
  for (const scenario of scenarios) {
    const report = await runScenario(deployment, scenario, { api, driver, log });
    reports.push(report);
    paths.push(writeReport(reportDir, `chaos-${scenario.name}`, report));
    if (!context.json) for (const line of [...formatChaosReport(report), `  report: ${paths.at(-1)}`, '']) context.out(line);
  }
  return { reports, paths };
}

function scenarioOf(nameOrPath: string): Scenario {
  try {
    return loadScenario(nameOrPath);
  } catch (error) {
    if (error instanceof ScenarioError) throw new UsageError(error.message);
    throw error;
  }
}

export const chaosRunCommand: Command = {
  name: 'chaos run',
  usage: 'chaos run <scenario|file> [--report-dir DIR]',
  summary: 'run one chaos scenario (load + fault timeline), end with the invariant audit; exit 1 if an expectation fails',
  options: { 'report-dir': { type: 'string', default: defaultReportDir } },
  async run(context) {
    const [name, ...extra] = context.positionals;
    if (!name || extra.length > 0) throw new UsageError('name one scenario (see `duckstore chaos list`) or a scenario file');
    const { reports } = await runAll(context, [scenarioOf(name)], String(context.values['report-dir']));
    if (context.json) context.out(JSON.stringify(reports[0], null, 2));
    return reports.every((report) => report.ok) ? 0 : 1;
  },
};

export const chaosSuiteCommand: Command = {
  name: 'chaos suite',
  usage: 'chaos suite [--set ci|all] [--report-dir DIR]',
  summary: 'run every scenario of a set, one after another, and print a summary (exit 1 if any fails)',
  options: { set: { type: 'string', default: 'all' }, 'report-dir': { type: 'string', default: defaultReportDir } },
  async run(context) {
    const set = String(context.values.set);
    if (set !== 'ci' && set !== 'all') throw new UsageError(`--set ${set}: use ci or all`);
    const scenarios = listScenarios().filter((scenario) => scenario.sets.includes(set));
    const { reports } = await runAll(context, scenarios, String(context.values['report-dir']));
    if (context.json) context.out(JSON.stringify({ set, ok: reports.every((report) => report.ok), reports }, null, 2));
    else context.out(formatSuite(reports));
    return reports.every((report) => report.ok) ? 0 : 1;
  },
};

export const chaosCommands: Command[] = [chaosListCommand, chaosRunCommand, chaosSuiteCommand];
