import path from 'node:path';
import { LOCAL_ACCOUNT_ID } from './deployment';
import { localPaths } from './paths';

/** The static test credentials ministack accepts (it does not check them unless its AUTH mode is on). */
export const localCredentials = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Configuration for an AWS SDK v3 client that talks to the local cloud, whatever the caller's AWS_* environment says. */
export const localClientConfig = (endpoint: string, region: string) => ({ endpoint, region, credentials: localCredentials });

/**
 * The environment for a child process (the CDK CLI) that must talk to the
 * local cloud: the caller's environment without any AWS_* or CDK_DEFAULT_*
 * (a profile or a session token must not leak into a local deploy, nor a
 * local deploy reach a real account), plus the endpoint and test credentials.
 */
export function localCliEnvironment(endpoint: string, region: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_DEFAULT_')),
  );
  // Files that do not exist: ~/.aws/config profiles cannot override the endpoint or credentials.
  const noAwsConfig = path.join(localPaths.home, 'no-aws-config');
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: noAwsConfig,
    AWS_SHARED_CREDENTIALS_FILE: noAwsConfig,
    CDK_DEFAULT_ACCOUNT: LOCAL_ACCOUNT_ID,
    CDK_DEFAULT_REGION: region,
    // No calls home from a local deploy (there may be no internet at all).
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}
