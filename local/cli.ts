/**
 * The local cloud's lifecycle from the command line (package.json "demo",
 * "start" and "local:*" scripts):
 *
 *   tsx local/cli.ts demo [--keep-running]   install, start, deploy, seed, run `duckstore demo`, stop; exits with the demo's code
 *   tsx local/cli.ts start                   install, start, deploy, seed, print the URLs; stays up until Ctrl-C, then stops
 *   tsx local/cli.ts up                      the same in the background
 *   tsx local/cli.ts deploy                  (re)deploy into the running local cloud
 *   tsx local/cli.ts seed                    reset the stock of every SKU
 *   tsx local/cli.ts down                    stop the ministack `up` (or `demo --keep-running`) started, and its Lambda workers
 *
 * What is deployed and how it is doing is the operator CLI's business:
 * `npx duckstore status` (cli/). Port: DUCKSTORE_LOCAL_PORT (default 4566).
 * PERSIST=1 (`start`, `up`) keeps state across restarts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ordersApiUrl, providerUrl, regionDeploymentOf, type Deployment } from '../cli/deployment';
import { main as duckstore } from '../cli/main';
import { deployLocal, discoverLocalDeployment } from './deploy';
import { bringUp, PhaseTimings } from './lifecycle';
import { DEFAULT_PORT, identifyLocalCloud, stopRecordedLocalCloud, type LocalCloud } from './ministack';
import { cloudPaths, localPaths, say } from './paths';
import { seedStock } from './seed';

// The CLI runs in this process (demo); its SDK clients would print the "Node < 22 from 2027" notice (see README).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const port = Number(process.env.DUCKSTORE_LOCAL_PORT || DEFAULT_PORT);
const defaultEndpoint = `http://127.0.0.1:${DEFAULT_PORT}`;
const endpoint = process.env.DUCKSTORE_ENDPOINT || `http://127.0.0.1:${port}`;
const persist = process.env.PERSIST === '1';

async function requireRunning(): Promise<void> {
  if (!(await identifyLocalCloud(endpoint))) throw new Error(`no local cloud answers at ${endpoint}: run \`npm start\` or \`npm run local:up\` first`);
}

/**
 * Ctrl-C or SIGTERM: ministack runs in its own process group (so that its
 * Lambda workers can be stopped with it), and would outlive this process.
 * `stopOnSignal` is the cloud this process owns; `signalled` replaces the
 * default handling while `start` waits for the signal.
 */
let stopOnSignal: (() => Promise<void>) | undefined;
let signalled: ((signal: NodeJS.Signals) => void) | undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (signalled) return signalled(signal);
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    say('local', `${signal}: ${stopOnSignal ? 'stopping the local cloud' : 'exiting'}`);
    void (stopOnSignal?.() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/** A cloud started by this process and not detached is stopped on Ctrl-C; a reused one (pid undefined) is left alone by its stop(). */
const stopOnInterrupt = (cloud: LocalCloud): void => {
  stopOnSignal = () => cloud.stop();
};

/** The demo's JSON report written since `sinceMs`, if any. */
function newestReport(sinceMs: number): string | undefined {
  if (!fs.existsSync(localPaths.reports)) return undefined;
  return fs
    .readdirSync(localPaths.reports)
    .filter((name) => name.startsWith('demo-') && name.endsWith('.json'))
    .map((name) => path.join(localPaths.reports, name))
    .filter((file) => fs.statSync(file).mtimeMs >= sinceMs)
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

/** `DUCKSTORE_ENDPOINT=… ` when the operator CLI would not find this cloud by default. */
const endpointPrefix = (at: string) => (at === defaultEndpoint ? '' : `DUCKSTORE_ENDPOINT=${at} `);

function describeRunning(deployment: Deployment, cloud: LocalCloud): string[] {
  const simulator = regionDeploymentOf(deployment, 'payments').outputs.PaymentProviderUrl ? providerUrl(deployment) : '(none: a real provider is configured)';
  const width = Math.max(...deployment.regions.map((region) => region.stackName.length));
  return [
    `  endpoint            ${cloud.endpoint}`,
    `  orders API          ${ordersApiUrl(deployment)}`,
    `  provider simulator  ${simulator}`,
    ...deployment.regions.map(
      (region, index) => `  ${index === 0 ? 'stacks' : '      '}              ${region.region.padEnd(10)} ${region.stackName.padEnd(width)}  ${region.status}  (${region.contexts.join(', ')})`,
    ),
    `  logs                ${cloudPaths(cloud.port).log}`,
  ];
}

interface LocalCommand {
  options?: ParseArgsOptionsConfig;
  run(flags: Record<string, string | boolean | (string | boolean)[] | undefined>): Promise<number>;
}

const commands: Record<string, LocalCommand> = {
  demo: {
    options: { 'keep-running': { type: 'boolean', default: false } },
    async run(flags) {
      const keepRunning = Boolean(flags['keep-running']);
      const timings = new PhaseTimings();
      // --keep-running: ministack outlives this process, and `down` stops it.
      const { cloud, deployment } = await bringUp(timings, { port, detached: keepRunning, ...(keepRunning ? {} : { onStarted: stopOnInterrupt }) }).catch((error: unknown) => {
        if (keepRunning) say('demo', 'the local cloud may still be running: `npm run local:down` stops it');
        throw error;
      });
      process.env.DUCKSTORE_ENDPOINT = cloud.endpoint;
      const demoStarted = Date.now();
      let code = 1;
      try {
        code = await timings.time('demo', () => duckstore(['--target', 'local', 'demo', '--report-dir', localPaths.reports]));
      } finally {
        if (!keepRunning) {
          await timings.time('stop', () => cloud.stop());
          stopOnSignal = undefined;
        }
      }
      const report = newestReport(demoStarted);
      say('demo', report ? `JSON report: ${report}` : `no JSON report was written to ${localPaths.reports}`);
      if (keepRunning) {
        say('demo', `the local cloud keeps running at ${cloud.endpoint}; orders API ${ordersApiUrl(deployment)}`);
        say('demo', `poke at it with \`${endpointPrefix(cloud.endpoint)}npx duckstore status\`; stop it with \`npm run local:down\``);
      } else if (cloud.pid === undefined) {
        say('demo', `the ministack at ${cloud.endpoint} was running before this demo: left running (\`npm run local:down\` stops it)`);
      }
      say('demo', `exit ${code}; timings: ${timings.summary()}`);
      return code;
    },
  },

  start: {
    async run() {
      const timings = new PhaseTimings();
      const { cloud, deployment } = await bringUp(timings, { port, persist, onStarted: stopOnInterrupt });
      const prefix = endpointPrefix(cloud.endpoint);
      console.log(
        [
          '',
          `DuckStore is running on the local cloud (${timings.summary()}):`,
          ...describeRunning(deployment, cloud),
          '',
          'Try, in another terminal:',
          `  ${prefix}npx duckstore status`,
          `  ${prefix}npx duckstore orders place --customer c-1 --item DUCK-CLASSIC=2 --wait`,
          `  ${prefix}npx duckstore demo`,
          '',
          cloud.pid === undefined
            ? `This ministack was already running: Ctrl-C leaves it running (\`npm run local:down\` stops it).`
            : 'Ctrl-C stops the local cloud and its Lambda workers.',
        ].join('\n'),
      );
      // Stay in the foreground until told to stop, or until ministack dies under us.
      let watch: NodeJS.Timeout | undefined;
      const ended = await new Promise<NodeJS.Signals | 'exited'>((resolve) => {
        signalled = resolve;
        watch = setInterval(() => {
          if (cloud.pid === undefined) return;
          try {
            process.kill(cloud.pid, 0);
          } catch {
            resolve('exited');
          }
        }, 2000);
      });
      clearInterval(watch);
      signalled = undefined;
      if (ended === 'exited') {
        say('start', `ministack (pid ${cloud.pid}) exited on its own; see ${cloudPaths(cloud.port).log}`);
        await cloud.stop();
        return 1;
      }
      stopping = true;
      say('start', `${ended}: stopping the local cloud`);
      await cloud.stop();
      say('start', 'stopped');
      return 0;
    },
  },

  up: {
    async run() {
      const timings = new PhaseTimings();
      const { cloud, deployment } = await bringUp(timings, { port, detached: true, persist, verbose: true });
      console.log(['', `local cloud up in the background (${timings.summary()}):`, ...describeRunning(deployment, cloud), '', 'Stop it with `npm run local:down`.'].join('\n'));
      return 0;
    },
  },

  deploy: {
    async run() {
      await requireRunning();
      await deployLocal({ endpoint });
      return 0;
    },
  },

  seed: {
    async run() {
      await requireRunning();
      await seedStock(await discoverLocalDeployment(endpoint));
      return 0;
    },
  },

  down: {
    async run() {
      if (!(await stopRecordedLocalCloud(port))) say('down', `no ministack recorded in ${cloudPaths(port).pidFile}: nothing to stop`);
      return 0;
    },
  },
};

const usage = 'usage: tsx local/cli.ts <demo [--keep-running]|start|up|deploy|seed|down>';
const name = process.argv[2] ?? '';
const command = commands[name];
if (!command) {
  console.error(usage);
  process.exit(2);
}
try {
  const { values } = parseArgs({ args: process.argv.slice(3), options: command.options ?? {}, strict: true, allowPositionals: false });
  process.exitCode = await command.run(values);
} catch (error) {
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exitCode = 2;
  } else {
    console.error(`\n${process.env.DEBUG ? (error as Error).stack : `${(error as Error).name}: ${(error as Error).message}`}`);
    process.exitCode = 1;
  }
}
