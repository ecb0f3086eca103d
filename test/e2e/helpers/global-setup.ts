/**
 * vitest globalSetup for the end-to-end suite: brings up the local cloud
 * (local/e2e-environment.ts) once per run and hands the deployment to tests.
 *
 * In a test:
 *   import { inject } from 'vitest';
 *   const deployment = inject('localDeployment');   // typed LocalDeployment
 *   await fetch(`${deployment.api.baseUrl}/orders`, …);
 * Processes that cannot use inject read DUCKSTORE_DEPLOYMENT_FILE (local/deployment.ts loadDeployment()).
 */
import type { TestProject } from 'vitest/node';
import type { LocalDeployment } from '../../../local/deployment';
import { withLocalCloud } from '../../../local/e2e-environment';

declare module 'vitest' {
  export interface ProvidedContext {
    localDeployment: LocalDeployment;
    localDeploymentFile: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const environment = await withLocalCloud();
  project.provide('localDeployment', environment.deployment);
  project.provide('localDeploymentFile', environment.deploymentFile);
  // Workers inherit the environment of the main process.
  process.env.DUCKSTORE_DEPLOYMENT_FILE = environment.deploymentFile;
  return environment.teardown;
}
