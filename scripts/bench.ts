/**
 * `npm run bench [-- <duckstore bench flags>]`: the whole benchmark in one
 * command. Without DUCKSTORE_ENDPOINT it brings a local cloud up on
 * DUCKSTORE_LOCAL_PORT (default 4566) with every function's AWS requests
 * counted (DUCKSTORE_COUNT_REQUESTS=1), as `npm run demo` does, runs
 * `duckstore bench`, and stops the cloud again. With DUCKSTORE_ENDPOINT it
 * benchmarks that running cloud (whose functions count their requests only
 * if it was started with DUCKSTORE_COUNT_REQUESTS=1).
 */
import { main as duckstore } from '../cli/main';
import { runAgainstLocalCloud } from '../local/lifecycle';

const args = process.argv.slice(2);

await runAgainstLocalCloud('bench', () => duckstore(['--target', 'local', 'bench', ...args]), {
  // Read by local/ministack.ts when it starts ministack: every Lambda worker inherits it.
  beforeStart: () => {
    process.env.DUCKSTORE_COUNT_REQUESTS = '1';
  },
});
