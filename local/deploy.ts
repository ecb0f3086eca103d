/**
 * Deploys the real CDK app into the local cloud with the real CDK CLI, then
 * applies the documented local fix-ups for ministack's gaps and checks that
 * the app answers. What is deployed is always found the way the operator CLI
 * finds it, through CloudFormation (cli/deployment.ts `discoverDeployment`).
 *
 *   deployLocal({ endpoint }) → { deployment, timings }
 *   discoverLocalDeployment(endpoint) → Deployment
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { ensureEventArchives } from '../cli/dlq/replay';
import { providerAuthorization } from '../cli/provider-secret';
import { discoverDeployment, ordersApiUrl, providerUrl, regionDeploymentOf, resourceOf, type Deployment } from '../cli/deployment';
import { readTopology, resolveTarget, type Target } from '../cli/targets';
import { deployedRegions, topologyContextKey } from '../lib/topology';
import { LOCAL_ACCOUNT_ID, localCliEnvironment } from './aws';
import { cloudPaths, portOf, repoRoot, say, seconds } from './paths';

/**
 * The settings a local deploy always uses: no Cognito (nothing to sign in
 * against locally), tables deleted with the stack, and a short saga deadline
 * (30 s, sweep grace 10 s) so the end-to-end suite can wait for a deadline and
 * for the sweep behind it; a healthy local saga takes about a second.
 */
export const localContext: Readonly<Record<string, string>> = {
  'duckstore:apiAuth': 'none',
  'duckstore:removalPolicy': 'destroy',
  'duckstore:sagaDeadlineSeconds': '30',
  'duckstore:deadlineSweepGraceSeconds': '10',
  // Run-time faults (`duckstore faults`, docs/faults.md) are what the local cloud is for; off on AWS unless asked.
  'duckstore:faultInjection': 'true',
  // ministack rolls back a stack holding AWS::Events::Archive or AWS::SSM::Document; the archive is made through the API below (docs/operations.md).
  'duckstore:awsOnlyResources': 'false',
};

export interface DeployLocalOptions {
  endpoint: string;
  /**
   * More `-c key=value` for the CDK CLI. Not the topology: the CLI and the
   * tests discover the deployment with cdk.json's, so change it there.
   */
  context?: Record<string, string>;
  /** Run `cdk bootstrap` even when CDKToolkit already exists in every region. @default false */
  forceBootstrap?: boolean;
  /** Stream the CDK CLI's output to stderr (it always goes to .local/cdk.log). @default true */
  verbose?: boolean;
}

export interface DeployTimings {
  bootstrapSeconds: number;
  deploySeconds: number;
  discoverSeconds: number;
  fixUpSeconds: number;
  verifySeconds: number;
  totalSeconds: number;
}

export class LocalDeployError extends Error {
  override readonly name = 'LocalDeployError';
}

const cdkBin = path.join(repoRoot, 'node_modules', '.bin', 'cdk');

/** The operator CLI's `local` target for the cloud at `endpoint`: SDK settings and locally reachable URLs. */
export const localTarget = (endpoint: string): Target => resolveTarget('local', { DUCKSTORE_ENDPOINT: endpoint.replace(/\/+$/, '') });

/** What is deployed in the local cloud at `endpoint`, found through CloudFormation like every target. */
export const discoverLocalDeployment = (endpoint: string): Promise<Deployment> => discoverDeployment(localTarget(endpoint), readTopology());

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Runs the CDK CLI from node_modules; its output goes to .local/cdk.log (and stderr when verbose). */
function runCdk(args: readonly string[], env: NodeJS.ProcessEnv, verbose: boolean, files: ReturnType<typeof cloudPaths>): Promise<void> {
  const { cdkLog } = files;
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
      else reject(new LocalDeployError(`cdk ${args[0]} failed (exit ${code}). Last lines (full output in ${cdkLog}; ministack's side in ${files.log}):\n${tail(output)}`));
    });
  });
}

async function isBootstrapped(target: Target, region: string): Promise<boolean> {
  const cloudFormation = new CloudFormationClient(target.aws(region));
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' }));
    return Boolean(Stacks?.[0]?.StackStatus?.endsWith('_COMPLETE') && !Stacks[0].StackStatus.startsWith('DELETE'));
  } catch {
    return false;
  } finally {
    cloudFormation.destroy();
  }
}

// Local fix-ups: each covers one ministack gap, is idempotent, and runs after
// every `cdk deploy` (a stack update may put the template's value back).

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
 * The consumer, the simulator's URL and its local form are those of the
 * discovered deployment (the `local` target builds the local form).
 */
export async function pointPaymentsAtLocalProviderSimulator(deployment: Deployment): Promise<string | undefined> {
  const payments = regionDeploymentOf(deployment, 'payments');
  // No simulator output: a real provider is configured, and nothing here applies.
  const simulatorOutputUrl = payments.outputs.PaymentProviderUrl;
  if (!simulatorOutputUrl) return undefined;
  const localUrl = providerUrl(deployment);
  const functionName = resourceOf(deployment, 'payments', 'AWS::Lambda::Function', 'PaymentsConsumerFunction');
  const lambda = new LambdaClient(deployment.target.aws(payments.region));
  try {
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const variables = configuration.Environment?.Variables ?? {};
    const current = variables.PROVIDER_URL;
    if (current === localUrl) return undefined;
    if (current !== simulatorOutputUrl) {
      say('fix-up', `payments PROVIDER_URL is ${current ?? '(unset)'}, not the simulator's Function URL: left alone`);
      return undefined;
    }
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: functionName,
        Environment: { Variables: { ...variables, PROVIDER_URL: localUrl } },
      }),
    );
    if (updated.LastUpdateStatus === 'InProgress') {
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { FunctionName: functionName });
    }
    return `payments PROVIDER_URL ${current} → ${localUrl} (ministack: Function URL attribute is not locally reachable)`;
  } finally {
    lambda.destroy();
  }
}

// The URLs the CLI builds for the local target (cli/targets.ts), verified by a
// request that only the app answers.

/**
 * ministack serves an HTTP API at `<endpoint>/_aws/execute-api/<apiId>/$default/…`
 * (the stack output `http://<apiId>.execute-api.localhost:<port>` needs
 * `*.localhost` to resolve, which it does not everywhere). The orders API
 * answers a GET of a malformed order id with its own problem+json 400, which
 * tells it apart from the gateway's `{"message":"Not Found"}`. Returns why not
 * when it does not answer so.
 */
export async function probeOrdersApi(deployment: Deployment): Promise<string | undefined> {
  const base = ordersApiUrl(deployment);
  try {
    const response = await fetch(`${base}/orders/local-probe`, { signal: AbortSignal.timeout(15_000) });
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('application/problem+json')) return undefined;
    return `${base}: HTTP ${response.status} ${type} ${(await response.text()).slice(0, 120)}`;
  } catch (error) {
    return `${base}: ${(error as Error).message}`;
  }
}

/** The simulator's read-only ledger query answers 200 JSON when the URL reaches the function and the merchant secret (read from Secrets Manager) is accepted. */
async function verifyProviderSimulator(deployment: Deployment): Promise<void> {
  if (!regionDeploymentOf(deployment, 'payments').outputs.PaymentProviderUrl) return;
  const base = providerUrl(deployment);
  const response = await fetch(`${base}/v1/ledger?orderId=local-probe`, { headers: await providerAuthorization(deployment), signal: AbortSignal.timeout(15_000) });
  const body = await response.text();
  if (response.status !== 200) throw new LocalDeployError(`the provider simulator at ${base} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
}

/**
 * Bootstraps every region of the topology (skipped when CDKToolkit is there),
 * deploys all stacks with the real CDK CLI, discovers the result, applies the
 * local fix-ups and verifies the URLs.
 */
export async function deployLocal(options: DeployLocalOptions): Promise<{ deployment: Deployment; timings: DeployTimings }> {
  const started = performance.now();
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const verbose = options.verbose ?? true;
  if (options.context && topologyContextKey in options.context) {
    throw new LocalDeployError(`deployLocal takes no ${topologyContextKey}: the CLI and the tests discover the deployment with cdk.json's topology, so change it there`);
  }
  const context = { ...localContext, ...options.context };
  const target = localTarget(endpoint);
  const regions = deployedRegions(readTopology());
  const env = localCliEnvironment(target, regions[0]!);
  const contextArgs = Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  const files = cloudPaths(portOf(endpoint));
  const { cdkLog } = files;
  const common = ['--no-notices', '--output', files.cdkOut];
  fs.mkdirSync(files.dir, { recursive: true });
  fs.writeFileSync(cdkLog, `# cdk against ${endpoint}, ${new Date().toISOString()}\n`);
  if (!verbose) say('deploy', `CDK CLI output goes to ${cdkLog}`);

  let phase = performance.now();
  const missing = options.forceBootstrap ? regions : (await Promise.all(regions.map(async (region) => ((await isBootstrapped(target, region)) ? undefined : region)))).filter((region) => region !== undefined);
  if (missing.length > 0) {
    await runCdk(['bootstrap', ...missing.map((region) => `aws://${LOCAL_ACCOUNT_ID}/${region}`), ...contextArgs, ...common], env, verbose, files);
  } else {
    say('deploy', `already bootstrapped: ${regions.join(', ')}`);
  }
  const bootstrapSeconds = (performance.now() - phase) / 1000;
  say('deploy', `bootstrap: ${seconds(phase)}`);

  phase = performance.now();
  await runCdk(['deploy', '--all', '--require-approval', 'never', '--concurrency', String(regions.length), '--progress', 'events', ...contextArgs, ...common], env, verbose, files);
  const deploySeconds = (performance.now() - phase) / 1000;
  say('deploy', `cdk deploy: ${seconds(phase)}`);

  phase = performance.now();
  const deployment = await discoverLocalDeployment(endpoint);
  const discoverSeconds = (performance.now() - phase) / 1000;

  phase = performance.now();
  const fixUps: string[] = [];
  const applied = await pointPaymentsAtLocalProviderSimulator(deployment);
  if (applied) fixUps.push(applied);
  const archived = await ensureEventArchives(deployment);
  if (archived.length > 0) fixUps.push(`event archive created through the API in ${archived.join(', ')} (the stack cannot hold it here)`);
  for (const fixUp of fixUps) say('fix-up', fixUp);
  const fixUpSeconds = (performance.now() - phase) / 1000;

  phase = performance.now();
  const [apiProblem] = await Promise.all([probeOrdersApi(deployment), verifyProviderSimulator(deployment)]);
  if (apiProblem) throw new LocalDeployError(`the orders API does not answer at the URL the CLI uses: ${apiProblem}`);
  const verifySeconds = (performance.now() - phase) / 1000;

  const timings: DeployTimings = { bootstrapSeconds, deploySeconds, discoverSeconds, fixUpSeconds, verifySeconds, totalSeconds: (performance.now() - started) / 1000 };
  say(
    'deploy',
    `done in ${timings.totalSeconds.toFixed(1)} s (bootstrap ${bootstrapSeconds.toFixed(1)}, cdk deploy ${deploySeconds.toFixed(1)}, discover ${discoverSeconds.toFixed(1)}, ` +
      `fix-ups ${fixUpSeconds.toFixed(1)}, verify ${verifySeconds.toFixed(1)}); API ${ordersApiUrl(deployment)}`,
  );
  return { deployment, timings };
}
