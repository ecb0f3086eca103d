import path from 'node:path';
import type { Target } from '../cli/targets';
import { localPaths } from './paths';

/** The account id ministack reports (and the CDK bootstraps into). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * The environment for a child process (the CDK CLI) that must talk to the
 * local cloud: the caller's environment without any AWS_* or CDK_DEFAULT_*
 * (a profile or a session token must not leak into a local deploy, nor a
 * local deploy reach a real account), plus the target's endpoint and test
 * credentials (cli/targets.ts, the same the operator CLI uses).
 */
export function localCliEnvironment(target: Target, region: string): NodeJS.ProcessEnv {
  const { endpoint, credentials } = target.aws(region);
  if (!endpoint || !credentials) throw new Error(`target ${target.name} has no local endpoint: a local deploy needs the local target`);
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && !key.startsWith('CDK_DEFAULT_')),
  );
  // Files that do not exist: ~/.aws/config profiles cannot override the endpoint or credentials.
  const noAwsConfig = path.join(localPaths.home, 'no-aws-config');
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
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
