/**
 * The local cloud for end-to-end tests (vitest globalSetup, see
 * test/e2e/helpers/global-setup.ts).
 *
 * - DUCKSTORE_ENDPOINT set: that cloud is used as it is. It must answer; the
 *   deployment is read from DUCKSTORE_DEPLOYMENT_FILE or .local/deployment.json
 *   and checked against it (same endpoint, API answering); if there is none or
 *   it is stale (or DUCKSTORE_REDEPLOY=1), the app is deployed into that
 *   endpoint. Nothing is stopped at teardown. The fast path for a developer
 *   who keeps `npm run local:up` running.
 * - Otherwise: ministack is installed if needed, started (or an already
 *   running ministack on the port is reused), the app deployed (always: the
 *   tests run this checkout's code) and seeded; the teardown stops the
 *   ministack it started, with its Lambda workers.
 *
 * Stock is re-seeded in both cases (DUCKSTORE_SEED=0 skips it): tests start
 * from the known quantities of local/seed.ts.
 */
import { deployLocal } from './deploy';
import { loadDeployment, type LocalDeployment } from './deployment';
import { ensureMinistack, identifyLocalCloud, startLocalCloud } from './ministack';
import { localPaths, say } from './paths';
import { seedStock } from './seed';

export interface LocalCloudEnvironment {
  deployment: LocalDeployment;
  /** The saved deployment, for processes that cannot receive it otherwise (exported as DUCKSTORE_DEPLOYMENT_FILE). */
  deploymentFile: string;
  /** Whether an already running cloud was used (then teardown leaves it running). */
  reused: boolean;
  /** Seconds spent in each phase, for the test report. */
  timings: Record<string, number>;
  teardown(): Promise<void>;
}

const normalize = (endpoint: string) => endpoint.replace(/\/+$/, '').replace('//localhost:', '//127.0.0.1:');

/** Whether the saved deployment is live at `endpoint`: same endpoint and the orders API answers with its own problem+json. */
async function deploymentIsLive(deployment: LocalDeployment, endpoint: string): Promise<boolean> {
  if (normalize(deployment.endpoint) !== normalize(endpoint)) return false;
  try {
    const response = await fetch(`${deployment.api.baseUrl}/orders/local-probe`, { signal: AbortSignal.timeout(10_000) });
    return (response.headers.get('content-type') ?? '').startsWith('application/problem+json');
  } catch {
    return false;
  }
}

function tryLoadDeployment(): LocalDeployment | undefined {
  try {
    return loadDeployment();
  } catch {
    return undefined;
  }
}

export async function withLocalCloud(): Promise<LocalCloudEnvironment> {
  const timings: Record<string, number> = {};
  const time = async <T>(phase: string, work: () => Promise<T> | T): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      timings[phase] = (performance.now() - start) / 1000;
    }
  };
  const deploymentFile = process.env.DUCKSTORE_DEPLOYMENT_FILE || localPaths.deployment;
  const seed = process.env.DUCKSTORE_SEED !== '0';

  const given = process.env.DUCKSTORE_ENDPOINT;
  if (given) {
    const endpoint = normalize(given);
    const running = await identifyLocalCloud(endpoint);
    if (!running) throw new Error(`DUCKSTORE_ENDPOINT=${given} does not answer a health check: start it (npm run local:up) or unset DUCKSTORE_ENDPOINT to let the tests start their own`);
    let deployment = process.env.DUCKSTORE_REDEPLOY === '1' ? undefined : tryLoadDeployment();
    if (deployment && (await deploymentIsLive(deployment, endpoint))) {
      say('e2e', `reusing ${running.kind} at ${endpoint} and the deployment in ${deploymentFile}`);
    } else {
      say('e2e', `${running.kind} at ${endpoint} has no live DuckStore deployment matching ${deploymentFile}: deploying`);
      deployment = await time('deploy', () => deployLocal({ endpoint, verbose: false }));
    }
    const live = deployment;
    if (seed) await time('seed', () => seedStock(live));
    process.env.DUCKSTORE_DEPLOYMENT_FILE = deploymentFile;
    return { deployment: live, deploymentFile, reused: true, timings, teardown: async () => {} };
  }

  await time('install', () => ensureMinistack());
  const cloud = await time('start', () => startLocalCloud());
  try {
    // Always deploy here, also into a ministack found running on the port: the tests must run the
    // code of this checkout (an unchanged app redeploys in about 10 s, mostly synth and bundling).
    const live = await time('deploy', () => deployLocal({ endpoint: cloud.endpoint, verbose: false }));
    if (seed) await time('seed', () => seedStock(live));
    process.env.DUCKSTORE_DEPLOYMENT_FILE = deploymentFile;
    say('e2e', `local cloud ready: ${Object.entries(timings).map(([phase, s]) => `${phase} ${s.toFixed(1)} s`).join(', ')}`);
    return {
      deployment: live,
      deploymentFile,
      reused: cloud.pid === undefined,
      timings,
      teardown: async () => {
        if (cloud.pid !== undefined) say('e2e', `stopping ministack pid ${cloud.pid}`);
        await cloud.stop();
      },
    };
  } catch (error) {
    await cloud.stop();
    throw error;
  }
}
