/**
 * `npm run experiment [-- <duckstore experiment flags>]`: the whole resilience
 * experiment in one command. Without DUCKSTORE_ENDPOINT it brings a local
 * cloud up on DUCKSTORE_LOCAL_PORT (default 4566), deploys and seeds it
 * (local/lifecycle.ts `bringUp`, as `npm run demo` does), runs `duckstore
 * experiment`, which writes docs/experiment.md, docs/experiment-chart.svg
 * (and .png) and docs/experiment-results.json, and stops the cloud again.
 * With DUCKSTORE_ENDPOINT it measures that running cloud.
 */
import { main as duckstore } from '../cli/main';
import { bringUp, PhaseTimings } from '../local/lifecycle';
import { DEFAULT_PORT, type LocalCloud } from '../local/ministack';
import { say } from '../local/paths';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const args = process.argv.slice(2);
// Recorded in docs/experiment.md: how to run exactly this again.
const port = process.env.DUCKSTORE_LOCAL_PORT;
const command = `${port ? `DUCKSTORE_LOCAL_PORT=${port} ` : ''}npm run experiment${args.length ? ` -- ${args.join(' ')}` : ''}`;

let cloud: LocalCloud | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    say('experiment', `${signal}: stopping`);
    void (cloud?.stop() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

let code = 1;
try {
  if (!process.env.DUCKSTORE_ENDPOINT) {
    const timings = new PhaseTimings();
    const up = await bringUp(timings, {
      port: Number(port || DEFAULT_PORT),
      onStarted: (started) => {
        cloud = started;
      },
    });
    say('experiment', `local cloud ready (${timings.summary()})`);
    process.env.DUCKSTORE_ENDPOINT = up.cloud.endpoint;
  }
  code = await duckstore(['--target', 'local', 'experiment', '--command', command, ...args]);
} catch (error) {
  console.error(`experiment: ${(error as Error).stack ?? String(error)}`);
} finally {
  await cloud?.stop();
}
process.exit(code);
