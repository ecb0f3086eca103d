/**
 * What a local deploy produced, saved to .local/deployment.json: the stack
 * outputs per region, the URLs that are reachable from this machine, and the
 * physical names of the resources tests and operators poke at. Light on
 * imports (zod only) so tests can load it cheaply.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { localPaths } from './paths';

export const LOCAL_ACCOUNT_ID = '000000000000';

const resourceSchema = z.object({ logicalId: z.string(), type: z.string(), physicalId: z.string() });

const queuePairSchema = z.object({
  /** The queue URL; ministack's URLs carry no region, so always pair it with `region`. */
  queueUrl: z.string(),
  deadLetterQueueUrl: z.string(),
});

export const contextDeploymentSchema = z.object({
  region: z.string(),
  stackName: z.string(),
  stateTable: z.string(),
  idempotencyTable: z.string(),
  consumer: queuePairSchema.extend({ functionName: z.string() }),
  /** Absent for a context that emits no events (notifications). */
  relay: z.object({ functionName: z.string(), deadLetterQueueUrl: z.string() }).optional(),
});
export type ContextDeployment = z.infer<typeof contextDeploymentSchema>;

export const localDeploymentSchema = z.object({
  /** The local cloud's endpoint (AWS_ENDPOINT_URL for SDK clients). */
  endpoint: z.string(),
  accountId: z.string(),
  deployedAt: z.string(),
  stacks: z.array(
    z.object({
      stackName: z.string(),
      role: z.string(),
      region: z.string(),
      outputs: z.record(z.string(), z.string()),
      /** Every resource of the stack, keyed by its CDK construct path (e.g. `DuckStore-primary/Orders/Api/Resource`). */
      resources: z.record(z.string(), resourceSchema),
    }),
  ),
  api: z.object({
    region: z.string(),
    apiId: z.string(),
    /** What the stack outputs (`http://<apiId>.execute-api.localhost:<port>`); `*.localhost` may not resolve. */
    outputUrl: z.string(),
    /** Base URL that works from this machine: append `/orders`. */
    baseUrl: z.string(),
    functionName: z.string(),
  }),
  /** Absent when a real provider is configured (duckstore:providerUrl). */
  providerSimulator: z
    .object({
      region: z.string(),
      urlId: z.string(),
      /** The Function URL CloudFormation returns (`https://<urlId>.lambda-url.<region>.on.aws/`): not reachable locally. */
      outputUrl: z.string(),
      /** Base URL that works from this machine and from Lambda processes: append `/v1/authorizations`. */
      baseUrl: z.string(),
      functionName: z.string(),
      ledgerTable: z.string(),
    })
    .optional(),
  contexts: z.object({
    orders: contextDeploymentSchema,
    inventory: contextDeploymentSchema,
    payments: contextDeploymentSchema,
    notifications: contextDeploymentSchema,
  }),
  forwarders: z.array(
    queuePairSchema.extend({ fromRegion: z.string(), toRegion: z.string(), stackName: z.string(), functionName: z.string() }),
  ),
  /** The local fix-ups deployLocal applied after `cdk deploy` (see local/deploy.ts). */
  fixUps: z.array(z.string()),
});
export type LocalDeployment = z.infer<typeof localDeploymentSchema>;

export function saveDeployment(deployment: LocalDeployment, file: string = localPaths.deployment): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(localDeploymentSchema.parse(deployment), null, 2)}\n`);
}

/** Reads and validates .local/deployment.json (or `file`); throws a clear error if it is missing or stale in shape. */
export function loadDeployment(file: string = process.env.DUCKSTORE_DEPLOYMENT_FILE || localPaths.deployment): LocalDeployment {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no local deployment at ${file}: run \`npm run local:up\` (or deployLocal()) first`);
  }
  const parsed = localDeploymentSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`${file} does not match the LocalDeployment schema (redeploy): ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
