/**
 * The local cloud from the command line (see package.json "local:*" scripts):
 *
 *   tsx local/cli.ts up       install ministack if needed, start it in the background, deploy, seed
 *   tsx local/cli.ts deploy   (re)deploy into the running local cloud
 *   tsx local/cli.ts seed     reset the stock of every SKU
 *   tsx local/cli.ts smoke    three orders end to end (confirmed, payment declined, out of stock)
 *   tsx local/cli.ts status   whether it runs, and what is deployed
 *   tsx local/cli.ts down     stop the ministack `up` started, and its Lambda workers
 *
 * Port: DUCKSTORE_LOCAL_PORT (default 4566). PERSIST=1 keeps state across restarts.
 */
import { deployLocal } from './deploy';
import { loadDeployment } from './deployment';
import { DEFAULT_PORT, ensureMinistack, identifyLocalCloud, startLocalCloud, stopRecordedLocalCloud } from './ministack';
import { localPaths, say } from './paths';
import { seedStock } from './seed';
import { runSmoke } from './smoke';

const port = Number(process.env.DUCKSTORE_LOCAL_PORT || DEFAULT_PORT);
const endpoint = process.env.DUCKSTORE_ENDPOINT || `http://127.0.0.1:${port}`;

async function requireRunning(): Promise<void> {
  if (!(await identifyLocalCloud(endpoint))) throw new Error(`no local cloud answers at ${endpoint}: run \`npm run local:up\` first`);
}

const commands: Record<string, () => Promise<void>> = {
  async up() {
    const total = performance.now();
    ensureMinistack();
    const cloud = await startLocalCloud({ port, detached: true, persist: process.env.PERSIST === '1' });
    const deployment = await deployLocal({ endpoint: cloud.endpoint });
    await seedStock(deployment);
    say('up', `local cloud ready in ${((performance.now() - total) / 1000).toFixed(1)} s: API ${deployment.api.baseUrl}; deployment in ${localPaths.deployment}; stop with \`npm run local:down\``);
  },
  async deploy() {
    await requireRunning();
    await deployLocal({ endpoint });
  },
  async seed() {
    await requireRunning();
    await seedStock(loadDeployment());
  },
  async smoke() {
    await requireRunning();
    const results = await runSmoke(loadDeployment());
    console.log(JSON.stringify(results.map(({ order: _order, ...rest }) => rest), null, 2));
    if (results.some((result) => !result.ok)) process.exitCode = 1;
  },
  async status() {
    const running = await identifyLocalCloud(endpoint);
    say('status', running ? `${running.kind} ${running.version ?? ''} answers at ${endpoint}` : `nothing answers at ${endpoint}`);
    try {
      const deployment = loadDeployment();
      say('status', `last deploy ${deployment.deployedAt} into ${deployment.endpoint}: API ${deployment.api.baseUrl}`);
    } catch (error) {
      say('status', (error as Error).message);
    }
  },
  async down() {
    if (!(await stopRecordedLocalCloud())) say('down', `no ministack recorded in ${localPaths.pidFile}: nothing to stop`);
  },
};

const name = process.argv[2] ?? '';
const command = commands[name];
if (!command) {
  console.error(`usage: tsx local/cli.ts <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
try {
  await command();
} catch (error) {
  console.error(`\n${process.env.DEBUG ? (error as Error).stack : `${(error as Error).name}: ${(error as Error).message}`}`);
  process.exitCode = 1;
}
