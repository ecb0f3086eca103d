/**
 * `npm run experiment [-- <duckstore experiment flags>]`: the whole resilience
 * experiment in one command. Without DUCKSTORE_ENDPOINT it brings a local
 * cloud up on DUCKSTORE_LOCAL_PORT (default 4566), as `npm run demo` does,
 * runs `duckstore experiment`, which writes docs/experiment.md,
 * docs/experiment-chart.svg (and .png) and docs/experiment-results.json, and
 * stops the cloud again. With DUCKSTORE_ENDPOINT it measures that running cloud.
 */
import { main as duckstore } from '../cli/main';
import { runAgainstLocalCloud } from '../local/lifecycle';

const args = process.argv.slice(2);
// Recorded in docs/experiment.md: how to run exactly this again.
const port = process.env.DUCKSTORE_LOCAL_PORT;
const command = `${port ? `DUCKSTORE_LOCAL_PORT=${port} ` : ''}npm run experiment${args.length ? ` -- ${args.join(' ')}` : ''}`;

await runAgainstLocalCloud('experiment', () => duckstore(['--target', 'local', 'experiment', '--command', command, ...args]));
