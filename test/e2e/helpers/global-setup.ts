/**
 * vitest globalSetup for the end-to-end suite: makes sure the local cloud is
 * up, deployed and seeded, once per run (local/e2e-environment.ts), and tells
 * the test workers where it is: DUCKSTORE_TARGET=local and DUCKSTORE_ENDPOINT.
 * Tests find the deployment from there as the operator CLI does
 * (helpers/system.ts `System.connect()`).
 * With DUCKSTORE_TARGET=localstack|aws it starts nothing.
 */
import { withLocalCloud } from '../../../local/e2e-environment';

export default async function setup(): Promise<() => Promise<void>> {
  // As in the root vitest config: the SDK's "Node 22 from 2027" notice would repeat in every worker (the README says it once).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const target = process.env.DUCKSTORE_TARGET ?? 'local';
  if (target !== 'local') {
    // localstack or aws: the suite finds that deployment itself (test/e2e/helpers/system.ts); nothing to start here.
    console.error(`[e2e] DUCKSTORE_TARGET=${target}: no local cloud started`);
    return async () => {};
  }
  const environment = await withLocalCloud();
  // Workers inherit the environment of the main process.
  process.env.DUCKSTORE_TARGET = 'local';
  process.env.DUCKSTORE_ENDPOINT = environment.endpoint;
  return environment.teardown;
}
