/**
 * The local cloud for end-to-end tests (vitest globalSetup, see
 * test/e2e/helpers/global-setup.ts). Tests find the deployment themselves,
 * through CloudFormation, like the operator CLI (test/e2e/helpers/system.ts);
 * this only makes sure there is one and says where (DUCKSTORE_ENDPOINT).
 *
 * - DUCKSTORE_ENDPOINT set: that cloud is used as it is. It must answer; if
 *   DuckStore is not deployed there or its API does not answer (or
 *   DUCKSTORE_REDEPLOY=1), the app is deployed into it. Nothing is stopped at
 *   teardown. The fast path for a developer who keeps `npm start` or
 *   `npm run local:up` running.
 * - Otherwise: ministack is installed if needed, started (or an already
 *   running ministack on the port is reused), the app deployed (always: the
 *   tests run this checkout's code) and seeded; the teardown stops the
 *   ministack it started, with its Lambda workers.
 *
 * Stock is re-seeded in both cases (DUCKSTORE_SEED=0 skips it): tests start
 * from the known quantities of local/seed.ts.
 */
import { deployLocal, discoverLocalDeployment, probeOrdersApi } from './deploy';
import { bringUp, PhaseTimings } from './lifecycle';
import { identifyLocalCloud } from './ministack';
import { say } from './paths';
import { seedStock } from './seed';

export interface LocalCloudEnvironment {
  /** Where the cloud answers; the tests' target is `local` with this DUCKSTORE_ENDPOINT. */
  endpoint: string;
  /** Whether an already running cloud was used (then teardown leaves it running). */
  reused: boolean;
  /** Seconds spent in each phase, for the test report. */
  timings: PhaseTimings;
  teardown(): Promise<void>;
}

const normalize = (endpoint: string) => endpoint.replace(/\/+$/, '').replace('//localhost:', '//127.0.0.1:');

/** Whether DuckStore is deployed at `endpoint` and its orders API answers with its own problem+json. */
async function deploymentIsLive(endpoint: string): Promise<boolean> {
  try {
    return (await probeOrdersApi(await discoverLocalDeployment(endpoint))) === undefined;
  } catch {
    return false;
  }
}

export async function withLocalCloud(): Promise<LocalCloudEnvironment> {
  const timings = new PhaseTimings();
  const seed = process.env.DUCKSTORE_SEED !== '0';

  const given = process.env.DUCKSTORE_ENDPOINT;
  if (given) {
    const endpoint = normalize(given);
    const running = await identifyLocalCloud(endpoint);
    if (!running) throw new Error(`DUCKSTORE_ENDPOINT=${given} does not answer a health check: start it (npm start) or unset DUCKSTORE_ENDPOINT to let the tests start their own`);
    if (process.env.DUCKSTORE_REDEPLOY !== '1' && (await deploymentIsLive(endpoint))) {
      say('e2e', `reusing ${running.kind} at ${endpoint} and the DuckStore deployed there`);
    } else {
      say('e2e', `${running.kind} at ${endpoint} has no live DuckStore deployment (or DUCKSTORE_REDEPLOY=1): deploying`);
      await timings.time('deploy', () => deployLocal({ endpoint, verbose: false }));
    }
    if (seed) await timings.time('seed', async () => seedStock(await discoverLocalDeployment(endpoint)));
    return { endpoint, reused: true, timings, teardown: async () => {} };
  }

  const { cloud } = await bringUp(timings, { seed });
  say('e2e', `local cloud ready: ${timings.summary()}`);
  return {
    endpoint: cloud.endpoint,
    reused: cloud.pid === undefined,
    timings,
    teardown: async () => {
      if (cloud.pid !== undefined) say('e2e', `stopping ministack pid ${cloud.pid}`);
      await cloud.stop();
    },
  };
}
