import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTopology, topologyContextKey, type Topology } from '../lib/topology';

export const targetNames = ['local', 'localstack', 'aws'] as const;
export type TargetName = (typeof targetNames)[number];

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where the CLI's AWS calls and HTTP requests go. */
export interface Target {
  name: TargetName;
  /** SDK client settings for one region. */
  aws(region: string): { region: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /** The base URL at which an HTTP API answers, from its id and its CloudFormation `ApiUrl` output. */
  apiBaseUrl(apiId: string, outputUrl: string): string;
  /** The base URL of a Lambda function URL, from its CloudFormation output. */
  functionUrl(outputUrl: string): string;
  /** What to tell the user when the target does not answer. */
  unreachableHint: string;
}

const emulatorCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function emulator(name: 'local' | 'localstack', endpoint: string, hint: string): Target {
  return {
    name,
    aws: (region) => ({ region, endpoint, credentials: emulatorCredentials }),
    // Both emulators route API and function URL requests by path on their one port, so no wildcard DNS is needed.
    apiBaseUrl: (apiId) => `${endpoint}/_aws/execute-api/${apiId}/$default`,
    functionUrl: (outputUrl) => `${endpoint}/_aws/lambda-url/${new URL(outputUrl).hostname.split('.')[0]}`,
    unreachableHint: hint,
  };
}

export function resolveTarget(name: string, env: NodeJS.ProcessEnv = process.env): Target {
  switch (name) {
    case 'local':
      return emulator('local', env.DUCKSTORE_ENDPOINT ?? 'http://127.0.0.1:4566', 'start the local cloud with `npm start` (or set DUCKSTORE_ENDPOINT)');
    case 'localstack':
      return emulator('localstack', env.DUCKSTORE_ENDPOINT ?? 'http://127.0.0.1:4566', 'start LocalStack with `docker compose -f docker-compose.localstack.yml up -d` and deploy to it');
    case 'aws':
      return {
        name: 'aws',
        aws: (region) => ({ region }),
        apiBaseUrl: (_apiId, outputUrl) => outputUrl.replace(/\/+$/, ''),
        functionUrl: (outputUrl) => outputUrl.replace(/\/+$/, ''),
        unreachableHint: 'check your AWS credentials and that the stacks are deployed (`npx cdk deploy --all`)',
      };
    default:
      throw new UsageError(`unknown target "${name}": use one of ${targetNames.join(', ')}`);
  }
}

/** The topology the app was synthesized with: cdk.json's context. */
export function readTopology(): Topology {
  const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../cdk.json', import.meta.url)), 'utf8')) as { context: Record<string, unknown> };
  return parseTopology(cdkJson.context[topologyContextKey]);
}
