/**
 * Deploys the real CDK app into the local cloud with the real CDK CLI, then
 * describes what was deployed as a typed LocalDeployment (.local/deployment.json)
 * and applies the documented local fix-ups for ministack's gaps.
 *
 *   deployLocal({ endpoint }) → LocalDeployment
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, paginateListStackResources, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, GetFunctionUrlConfigCommand, LambdaClient, UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { contextNames, type ContextName } from '#contracts/envelope';
import { deployedRegions, parseTopology, stackName, topologyContextKey, type Topology } from '../lib/topology';
import { localCliEnvironment, localClientConfig } from './aws';
import { LOCAL_ACCOUNT_ID, saveDeployment, type ContextDeployment, type LocalDeployment } from './deployment';
import { localDir, localPaths, repoRoot, say, seconds } from './paths';

/** The settings a local deploy always uses: no Cognito (nothing to sign in against locally), tables deleted with the stack. */
export const localContext: Readonly<Record<string, string>> = {
  'duckstore:apiAuth': 'none',
  'duckstore:removalPolicy': 'destroy',
};

export interface DeployLocalOptions {
  endpoint: string;
  /** More `-c key=value` for the CDK CLI, e.g. a single-region `duckstore:topology`. */
  context?: Record<string, string>;
  /** Run `cdk bootstrap` even when CDKToolkit already exists in every region. @default false */
  forceBootstrap?: boolean;
  /** Stream the CDK CLI's output to stderr (it always goes to .local/cdk.log). @default true */
  verbose?: boolean;
}

export interface DeployTimings {
  bootstrapSeconds: number;
  deploySeconds: number;
  describeSeconds: number;
  fixUpSeconds: number;
  verifySeconds: number;
  totalSeconds: number;
}

export class LocalDeployError extends Error {
  override readonly name = 'LocalDeployError';
}

const cdkBin = path.join(repoRoot, 'node_modules', '.bin', 'cdk');
const cdkLog = path.join(localDir, 'cdk.log');

/** Construct ids of the bounded contexts in lib/stacks/region-stack.ts. */
const contextConstructId: Record<ContextName, string> = { orders: 'Orders', inventory: 'Inventory', payments: 'Payments', notifications: 'Notifications' };

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Runs the CDK CLI from node_modules; its output goes to .local/cdk.log (and stderr when verbose). */
function runCdk(args: readonly string[], env: NodeJS.ProcessEnv, verbose: boolean): Promise<void> {
  if (!fs.existsSync(cdkBin)) return Promise.reject(new LocalDeployError(`${cdkBin} not found: run npm ci first`));
  fs.appendFileSync(cdkLog, `\n$ cdk ${args.join(' ')}\n`);
  say('cdk', `cdk ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cdkBin, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (output.length > 200_000) output = output.slice(-100_000);
      fs.appendFileSync(cdkLog, text);
      if (verbose) process.stderr.write(text);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => reject(new LocalDeployError(`could not run ${cdkBin}: ${error.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new LocalDeployError(`cdk ${args[0]} failed (exit ${code}). Last lines (full output in ${cdkLog}; ministack's side in ${localPaths.log}):\n${tail(output)}`));
    });
  });
}

/** The topology the app will deploy: `-c duckstore:topology=…` if given, else cdk.json's. */
function readTopology(context: Record<string, string>): Topology {
  const fromCli = context[topologyContextKey];
  if (fromCli) return parseTopology(fromCli);
  const cdkJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return parseTopology(cdkJson.context?.[topologyContextKey]);
}

async function isBootstrapped(endpoint: string, region: string): Promise<boolean> {
  const cloudFormation = new CloudFormationClient(localClientConfig(endpoint, region));
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' }));
    return Boolean(Stacks?.[0]?.StackStatus?.endsWith('_COMPLETE') && !Stacks[0].StackStatus.startsWith('DELETE'));
  } catch {
    return false;
  } finally {
    cloudFormation.destroy();
  }
}

interface DescribedStack {
  stackName: string;
  role: string;
  region: string;
  outputs: Record<string, string>;
  resources: Record<string, { logicalId: string; type: string; physicalId: string }>;
}

/** Stack resources keyed by construct path: the synthesized template maps logical ids to paths, CloudFormation gives physical ids. */
async function describeStack(endpoint: string, stackName: string, role: string, region: string, outputs: Record<string, string>): Promise<DescribedStack> {
  const template = JSON.parse(fs.readFileSync(path.join(localPaths.cdkOut, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
  };
  const cloudFormation = new CloudFormationClient(localClientConfig(endpoint, region));
  const deployed: StackResourceSummary[] = [];
  try {
    for await (const page of paginateListStackResources({ client: cloudFormation }, { StackName: stackName })) deployed.push(...(page.StackResourceSummaries ?? []));
  } finally {
    cloudFormation.destroy();
  }
  const physicalIds = new Map(deployed.map((resource) => [resource.LogicalResourceId, resource.PhysicalResourceId]));
  const resources: DescribedStack['resources'] = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const cdkPath = resource.Metadata?.['aws:cdk:path'];
    const physicalId = physicalIds.get(logicalId);
    if (typeof cdkPath === 'string' && physicalId) resources[cdkPath] = { logicalId, type: resource.Type, physicalId };
  }
  return { stackName, role, region, outputs, resources };
}

/** The physical id of the resource at `<stack>/<constructPath>/Resource`; throws naming the path when it is missing. */
function physicalId(stack: DescribedStack, constructPath: string): string {
  const key = `${stack.stackName}/${constructPath}/Resource`;
  const resource = stack.resources[key];
  if (!resource) throw new LocalDeployError(`the deployed stack ${stack.stackName} (${stack.region}) has no ${key}: did lib/ change? (update local/deploy.ts)`);
  return resource.physicalId;
}

function contextDeployment(stack: DescribedStack, context: ContextName): ContextDeployment {
  const id = contextConstructId[context];
  const hasRelay = `${stack.stackName}/${id}/Relay/Function/Resource` in stack.resources;
  return {
    region: stack.region,
    stackName: stack.stackName,
    stateTable: physicalId(stack, `${id}/Tables/State`),
    idempotencyTable: physicalId(stack, `${id}/Tables/Idempotency`),
    consumer: {
      functionName: physicalId(stack, `${id}/Consumer/Function`),
      queueUrl: physicalId(stack, `${id}/Consumer/Queue`),
      deadLetterQueueUrl: physicalId(stack, `${id}/Consumer/DeadLetters/Queue`),
    },
    ...(hasRelay
      ? { relay: { functionName: physicalId(stack, `${id}/Relay/Function`), deadLetterQueueUrl: physicalId(stack, `${id}/Relay/DeadLetters/Queue`) } }
      : {}),
  };
}

/** A stack output by its name (lib/constructs/stack-output.ts gives outputs stable names); an older hashed `<name>XXXXXXXX` key is accepted too. */
function output(stack: DescribedStack, ...names: string[]): string {
  for (const name of names) {
    const value = stack.outputs[name] ?? Object.entries(stack.outputs).find(([key]) => new RegExp(`^${name}[0-9A-F]{8}$`).test(key))?.[1];
    if (value) return value;
  }
  throw new LocalDeployError(`stack ${stack.stackName} has no output ${names.join(' or ')} (outputs: ${Object.keys(stack.outputs).join(', ') || 'none'})`);
}

// ---------------------------------------------------------------------------
// Local fix-ups: each covers one ministack gap, is idempotent, and runs after
// every `cdk deploy` (a stack update may put the template's value back).
// ---------------------------------------------------------------------------

/**
 * ministack 1.5.33 gap: the `AWS::Lambda::Url` FunctionUrl attribute is the
 * AWS-shaped `https://<urlId>.lambda-url.<region>.on.aws/`, which a local
 * Lambda process cannot reach (it resolves to AWS, or nowhere offline), and
 * ministack serves no TLS there. ministack serves the same URL at
 * `<endpoint>/_aws/lambda-url/<urlId>/…`, which the Lambda processes on this
 * machine reach. So point the payments consumer's PROVIDER_URL there, keeping
 * the rest of its environment. Only when PROVIDER_URL is the simulator's URL:
 * a real provider (duckstore:providerUrl) is left alone.
 * On AWS nothing changes: the app keeps reading PROVIDER_URL from the template.
 */
export async function pointPaymentsAtLocalProviderSimulator(
  endpoint: string,
  payments: ContextDeployment,
  simulator: NonNullable<LocalDeployment['providerSimulator']>,
): Promise<string | undefined> {
  const lambda = new LambdaClient(localClientConfig(endpoint, payments.region));
  try {
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: payments.consumer.functionName }));
    const variables = configuration.Environment?.Variables ?? {};
    const current = variables.PROVIDER_URL;
    if (current === simulator.baseUrl) return undefined;
    if (current !== simulator.outputUrl) {
      say('fix-up', `payments PROVIDER_URL is ${current ?? '(unset)'}, not the simulator's Function URL: left alone`);
      return undefined;
    }
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: payments.consumer.functionName,
        Environment: { Variables: { ...variables, PROVIDER_URL: simulator.baseUrl } },
      }),
    );
    if (updated.LastUpdateStatus === 'InProgress') {
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { FunctionName: payments.consumer.functionName });
    }
    return `payments PROVIDER_URL ${current} → ${simulator.baseUrl} (ministack: Function URL attribute is not locally reachable)`;
  } finally {
    lambda.destroy();
  }
}

// ---------------------------------------------------------------------------
// Locally reachable URLs, verified by a request that only the app answers.
// ---------------------------------------------------------------------------

/**
 * ministack serves an HTTP API at `<endpoint>/_aws/execute-api/<apiId>/<stage>/…`
 * (the stack output `http://<apiId>.execute-api.localhost:<port>` needs
 * `*.localhost` to resolve, which it does not everywhere). The orders API
 * answers a GET of a malformed order id with its own problem+json 400, which
 * tells it apart from the gateway's `{"message":"Not Found"}`.
 */
async function verifiedApiBaseUrl(endpoint: string, apiId: string): Promise<string> {
  const candidates = [`${endpoint}/_aws/execute-api/${apiId}/$default`, `${endpoint}/_aws/execute-api/${apiId}`];
  const tried: string[] = [];
  for (const base of candidates) {
    try {
      const response = await fetch(`${base}/orders/local-probe`, { signal: AbortSignal.timeout(15_000) });
      const type = response.headers.get('content-type') ?? '';
      if (type.startsWith('application/problem+json')) return base;
      tried.push(`${base}: HTTP ${response.status} ${type} ${(await response.text()).slice(0, 120)}`);
    } catch (error) {
      tried.push(`${base}: ${(error as Error).message}`);
    }
  }
  throw new LocalDeployError(`no locally reachable URL of the orders API ${apiId} answered:\n  ${tried.join('\n  ')}`);
}

/** The simulator's read-only ledger query answers 200 JSON when the URL reaches the function. */
async function verifiedProviderBaseUrl(endpoint: string, urlId: string): Promise<string> {
  const base = `${endpoint}/_aws/lambda-url/${urlId}`;
  const response = await fetch(`${base}/v1/ledger?orderId=local-probe`, { signal: AbortSignal.timeout(15_000) });
  const body = await response.text();
  if (response.status !== 200) throw new LocalDeployError(`the provider simulator at ${base} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
  return base;
}

function urlIdOf(functionUrl: string): string {
  const match = /^https?:\/\/([a-z0-9]+)\.lambda-url\./.exec(functionUrl);
  if (!match?.[1]) throw new LocalDeployError(`unexpected Function URL shape: ${functionUrl}`);
  return match[1];
}

function apiIdOf(apiUrl: string): string {
  const match = /^https?:\/\/([a-z0-9]+)\.execute-api\./.exec(apiUrl);
  if (!match?.[1]) throw new LocalDeployError(`unexpected API URL shape: ${apiUrl}`);
  return match[1];
}

/**
 * Bootstraps every region of the topology (skipped when CDKToolkit is there),
 * deploys all stacks with the real CDK CLI, describes the result, applies the
 * local fix-ups, verifies the URLs and saves .local/deployment.json.
 */
export async function deployLocal(options: DeployLocalOptions): Promise<LocalDeployment & { timings: DeployTimings }> {
  const started = performance.now();
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const verbose = options.verbose ?? true;
  const context = { ...localContext, ...options.context };
  const topology = readTopology(context);
  const regions = deployedRegions(topology);
  const primaryRegion = regions[0]!;
  const env = localCliEnvironment(endpoint, primaryRegion);
  const contextArgs = Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  const common = ['--no-notices', '--output', localPaths.cdkOut];
  fs.mkdirSync(localDir, { recursive: true });
  fs.writeFileSync(cdkLog, `# cdk against ${endpoint}, ${new Date().toISOString()}\n`);

  let phase = performance.now();
  const missing = options.forceBootstrap ? regions : (await Promise.all(regions.map(async (region) => ((await isBootstrapped(endpoint, region)) ? undefined : region)))).filter((region) => region !== undefined);
  if (missing.length > 0) {
    await runCdk(['bootstrap', ...missing.map((region) => `aws://${LOCAL_ACCOUNT_ID}/${region}`), ...contextArgs, ...common], env, verbose);
  } else {
    say('deploy', `already bootstrapped: ${regions.join(', ')}`);
  }
  const bootstrapSeconds = (performance.now() - phase) / 1000;
  say('deploy', `bootstrap: ${seconds(phase)}`);

  phase = performance.now();
  await runCdk(
    ['deploy', '--all', '--require-approval', 'never', '--concurrency', String(regions.length), '--progress', 'events', '--outputs-file', localPaths.outputs, ...contextArgs, ...common],
    env,
    verbose,
  );
  const deploySeconds = (performance.now() - phase) / 1000;
  say('deploy', `cdk deploy: ${seconds(phase)}`);

  phase = performance.now();
  const outputs = JSON.parse(fs.readFileSync(localPaths.outputs, 'utf8')) as Record<string, Record<string, string>>;
  const roleOf = (region: string) => Object.entries(topology.regions).find(([, name]) => name === region)![0];
  const stacks = await Promise.all(
    regions.map((region) => {
      const name = stackName(topology, region);
      return describeStack(endpoint, name, roleOf(region), region, outputs[name] ?? {});
    }),
  );
  const stackIn = (region: string) => stacks.find((stack) => stack.region === region)!;
  const contextRegion = (context: ContextName) => topology.regions[topology.contexts[context]]!;
  const contexts = Object.fromEntries(contextNames.map((name) => [name, contextDeployment(stackIn(contextRegion(name)), name)])) as LocalDeployment['contexts'];

  const ordersStack = stackIn(contextRegion('orders'));
  const apiOutput = output(ordersStack, 'ApiUrl', 'OrdersApiUrl');
  const apiId = physicalId(ordersStack, 'Orders/Api');
  if (apiIdOf(apiOutput) !== apiId) say('deploy', `warning: the ApiUrl output (${apiOutput}) does not name the deployed API ${apiId}`);

  const paymentsStack = stackIn(contextRegion('payments'));
  const simulatorFunctionKey = `${paymentsStack.stackName}/PaymentProviderSimulator/Function/Resource`;
  let providerSimulator: LocalDeployment['providerSimulator'];
  if (simulatorFunctionKey in paymentsStack.resources) {
    const functionName = physicalId(paymentsStack, 'PaymentProviderSimulator/Function');
    const lambda = new LambdaClient(localClientConfig(endpoint, paymentsStack.region));
    const { FunctionUrl } = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: functionName })).finally(() => lambda.destroy());
    const outputUrl = output(paymentsStack, 'PaymentProviderUrl', 'PaymentProviderSimulatorUrl');
    if (FunctionUrl !== outputUrl) say('deploy', `warning: the simulator Url output (${outputUrl}) differs from GetFunctionUrlConfig (${FunctionUrl})`);
    providerSimulator = {
      region: paymentsStack.region,
      urlId: urlIdOf(outputUrl),
      outputUrl,
      baseUrl: `${endpoint}/_aws/lambda-url/${urlIdOf(outputUrl)}`,
      functionName,
      ledgerTable: physicalId(paymentsStack, 'PaymentProviderSimulator/Ledger'),
    };
  }
  const forwarders = stacks.flatMap((stack) =>
    regions
      .filter((other) => `${stack.stackName}/ForwardTo-${other}/Forwarding/Function/Resource` in stack.resources)
      .map((toRegion) => ({
        fromRegion: stack.region,
        toRegion,
        stackName: stack.stackName,
        functionName: physicalId(stack, `ForwardTo-${toRegion}/Forwarding/Function`),
        queueUrl: physicalId(stack, `ForwardTo-${toRegion}/Forwarding/Queue`),
        deadLetterQueueUrl: physicalId(stack, `ForwardTo-${toRegion}/Forwarding/DeadLetters/Queue`),
      })),
  );
  const describeSeconds = (performance.now() - phase) / 1000;

  phase = performance.now();
  const fixUps: string[] = [];
  if (providerSimulator) {
    const applied = await pointPaymentsAtLocalProviderSimulator(endpoint, contexts.payments, providerSimulator);
    if (applied) fixUps.push(applied);
  }
  for (const fixUp of fixUps) say('fix-up', fixUp);
  const fixUpSeconds = (performance.now() - phase) / 1000;

  phase = performance.now();
  const [apiBaseUrl] = await Promise.all([verifiedApiBaseUrl(endpoint, apiId), providerSimulator ? verifiedProviderBaseUrl(endpoint, providerSimulator.urlId) : undefined]);
  const verifySeconds = (performance.now() - phase) / 1000;

  const deployment: LocalDeployment = {
    endpoint,
    accountId: LOCAL_ACCOUNT_ID,
    deployedAt: new Date().toISOString(),
    stacks,
    api: { region: ordersStack.region, apiId, outputUrl: apiOutput, baseUrl: apiBaseUrl, functionName: physicalId(ordersStack, 'Orders/ApiFunction') },
    ...(providerSimulator ? { providerSimulator } : {}),
    contexts,
    forwarders,
    fixUps,
  };
  saveDeployment(deployment);
  const timings: DeployTimings = { bootstrapSeconds, deploySeconds, describeSeconds, fixUpSeconds, verifySeconds, totalSeconds: (performance.now() - started) / 1000 };
  say(
    'deploy',
    `done in ${timings.totalSeconds.toFixed(1)} s (bootstrap ${bootstrapSeconds.toFixed(1)}, cdk deploy ${deploySeconds.toFixed(1)}, describe ${describeSeconds.toFixed(1)}, ` +
      `fix-ups ${fixUpSeconds.toFixed(1)}, verify ${verifySeconds.toFixed(1)}); API ${apiBaseUrl}; saved ${localPaths.deployment}`,
  );
  return { ...deployment, timings };
}
