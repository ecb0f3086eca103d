/**
 * `npm run bench [-- <duckstore bench flags>]`: the whole benchmark in one
 * command. Without DUCKSTORE_ENDPOINT it brings a local cloud up on
 * DUCKSTORE_LOCAL_PORT (default 4566) with every function's AWS requests
 * counted (DUCKSTORE_COUNT_REQUESTS=1), deploys and seeds it (local/lifecycle.ts
 * `bringUp`, as `npm run demo` does), runs `duckstore bench`, and stops the
 * cloud again. With DUCKSTORE_ENDPOINT it benchmarks that running cloud.
 */
import { main as duckstore } from '../cli/main';
import { bringUp, PhaseTimings } from '../local/lifecycle';
import { DEFAULT_PORT, type LocalCloud } from '../local/ministack';
import { say } from '../local/paths';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const args = process.argv.slice(2);

let cloud: LocalCloud | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    say('bench', `${signal}: stopping`);
    void (cloud?.stop() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

let code = 1;
try {
  if (!process.env.DUCKSTORE_ENDPOINT) {
    // Read by local/ministack.ts when it starts ministack: every Lambda worker inherits it.
    process.env.DUCKSTORE_COUNT_REQUESTS = '1';
    const timings = new PhaseTimings();
    const up = await bringUp(timings, {
      port: Number(process.env.DUCKSTORE_LOCAL_PORT || DEFAULT_PORT),
      onStarted: (started) => {
        cloud = started;
      },
    });
    if (up.cloud.pid === undefined) say('bench', `reusing the ministack at ${up.cloud.endpoint}: its functions count their requests only if it was started with DUCKSTORE_COUNT_REQUESTS=1`);
    say('bench', `local cloud ready (${timings.summary()})`);
    process.env.DUCKSTORE_ENDPOINT = up.cloud.endpoint;
  }
  code = await duckstore(['--target', 'local', 'bench', ...args]);
} catch (error) {
  console.error(`bench: ${(error as Error).stack ?? String(error)}`);
} finally {
  await cloud?.stop();
}
process.exit(code);
