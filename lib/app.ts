import { App, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ApiAuth } from './constructs/orders-service';
import { FaultInjectionStack, prepareFunctionsForFis } from './stacks/fault-injection-stack';
import { RegionStack, type DeploymentSettings } from './stacks/region-stack';
import { deployedRegions, parseTopology, stackName, topologyContextKey } from './topology';

export const settingKeys = {
  apiAuth: 'duckstore:apiAuth',
  removalPolicy: 'duckstore:removalPolicy',
  providerUrl: 'duckstore:providerUrl',
  sagaDeadlineSeconds: 'duckstore:sagaDeadlineSeconds',
  sagaDeadlineMarginSeconds: 'duckstore:sagaDeadlineMarginSeconds',
  deadlineSweepGraceSeconds: 'duckstore:deadlineSweepGraceSeconds',
  outboxSweepBoundSeconds: 'duckstore:outboxSweepBoundSeconds',
  faultInjection: 'duckstore:faultInjection',
  fis: 'duckstore:fis',
  fisExtensionLayerArn: 'duckstore:fisExtensionLayerArn',
  awsOnlyResources: 'duckstore:awsOnlyResources',
} as const;

/** Shorter than this, a saga that is merely a little slow (a cold start, a provider retry) would be cancelled. */
const minimumSagaDeadlineSeconds = 10;

export class InvalidSettingError extends Error {
  override readonly name = 'InvalidSettingError';
}

/** A whole number of seconds from the context: `-c key=value` gives a string, cdk.json a number; both are accepted. */
function wholeSeconds(app: App, key: string, fallback: number, least: number): number {
  const setting: unknown = app.node.tryGetContext(key) ?? fallback;
  const value = typeof setting === 'string' && /^\d+$/.test(setting) ? Number(setting) : setting;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < least) {
    throw new InvalidSettingError(`${key} must be a whole number of seconds, at least ${least}, got ${JSON.stringify(setting)}`);
  }
  return value;
}

function readSettings(app: App): DeploymentSettings {
  const apiAuth = app.node.tryGetContext(settingKeys.apiAuth) ?? 'cognito';
  if (apiAuth !== 'cognito' && apiAuth !== 'none') throw new InvalidSettingError(`${settingKeys.apiAuth} must be "cognito" or "none", got ${JSON.stringify(apiAuth)}`);
  const removal = app.node.tryGetContext(settingKeys.removalPolicy) ?? 'retain';
  if (removal !== 'retain' && removal !== 'destroy') throw new InvalidSettingError(`${settingKeys.removalPolicy} must be "retain" or "destroy", got ${JSON.stringify(removal)}`);
  const providerUrl: unknown = app.node.tryGetContext(settingKeys.providerUrl);
  const sagaDeadlineSeconds = wholeSeconds(app, settingKeys.sagaDeadlineSeconds, 300, minimumSagaDeadlineSeconds);
  const sweepGraceSeconds = wholeSeconds(app, settingKeys.deadlineSweepGraceSeconds, 60, 0);
  const marginSeconds = wholeSeconds(app, settingKeys.sagaDeadlineMarginSeconds, 10, 1);
  // Past deadline − margin no side effect starts: a margin of half the deadline or more would leave a saga too little time.
  if (marginSeconds * 2 > sagaDeadlineSeconds) {
    throw new InvalidSettingError(`${settingKeys.sagaDeadlineMarginSeconds} (${marginSeconds}) must be at most half of ${settingKeys.sagaDeadlineSeconds} (${sagaDeadlineSeconds})`);
  }
  // At least the relay's own retries (about a second) and a stream's usual lag: a younger row is still the relay's.
  const outboxSweepBoundSeconds = wholeSeconds(app, settingKeys.outboxSweepBoundSeconds, 120, 10);
  // Off unless asked for: without it no function reads the control document (docs/faults.md).
  const faultInjection: unknown = app.node.tryGetContext(settingKeys.faultInjection) ?? false;
  if (![true, false, 'true', 'false'].includes(faultInjection as string)) throw new InvalidSettingError(`${settingKeys.faultInjection} must be true or false, got ${JSON.stringify(faultInjection)}`);
  // On unless turned off: the local deploy turns it off, ministack cannot host those resources (docs/operations.md).
  const awsOnlyResources: unknown = app.node.tryGetContext(settingKeys.awsOnlyResources) ?? true;
  if (![true, false, 'true', 'false'].includes(awsOnlyResources as string)) throw new InvalidSettingError(`${settingKeys.awsOnlyResources} must be true or false, got ${JSON.stringify(awsOnlyResources)}`);
  return {
    awsOnlyResources: awsOnlyResources === true || awsOnlyResources === 'true',
    apiAuth: apiAuth as ApiAuth,
    removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    sagaDeadline: Duration.seconds(sagaDeadlineSeconds),
    sagaDeadlineMargin: Duration.seconds(marginSeconds),
    deadlineSweepGrace: Duration.seconds(sweepGraceSeconds),
    outboxSweepBound: Duration.seconds(outboxSweepBoundSeconds),
    faultInjection: faultInjection === true || faultInjection === 'true',
    ...(typeof providerUrl === 'string' && providerUrl ? { providerUrl } : {}),
  };
}

/**
 * With `-c duckstore:fis=true` (AWS only; docs/faults.md), one AWS FIS stack
 * per region, and the FIS extension layer on the functions it may fault. The
 * layer's ARN is AWS's, per region: `{region}` in the setting is replaced.
 * Returns the layer ARN template, or undefined when FIS is off.
 */
function readFisSetting(app: App): string | undefined {
  const fis: unknown = app.node.tryGetContext(settingKeys.fis) ?? false;
  if (fis !== true && fis !== 'true') return undefined;
  const layerArn: unknown = app.node.tryGetContext(settingKeys.fisExtensionLayerArn);
  if (typeof layerArn !== 'string' || !layerArn.startsWith('arn:')) {
    throw new InvalidSettingError(`${settingKeys.fis}=true needs ${settingKeys.fisExtensionLayerArn}: the ARN of the AWS FIS Lambda extension layer (arm64), with {region} for the region (see docs/faults.md)`);
  }
  return layerArn;
}

function addFaultInjectionStacks(app: App, stacks: RegionStack[], layerArn: string): void {
  for (const stack of stacks) {
    prepareFunctionsForFis(stack, { extensionLayerArn: layerArn.replaceAll('{region}', stack.region) });
    // The region stack's own environment: its function and alarm ARNs are referenced across the two stacks.
    const account = process.env.CDK_DEFAULT_ACCOUNT;
    new FaultInjectionStack(app, `${stack.stackName}-FaultInjection`, { env: { region: stack.region, ...(account ? { account } : {}) }, region: stack, description: `DuckStore AWS FIS experiments in ${stack.region}` });
  }
}

/** Builds the whole app: one stack per region of the topology, all checked by cdk-nag. */
export function buildApp(app: App = new App()): { app: App; stacks: RegionStack[] } {
  const topology = parseTopology(app.node.tryGetContext(topologyContextKey));
  const settings = readSettings(app);
  const fisLayerArn = readFisSetting(app);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const stacks = deployedRegions(topology).map(
    (region) =>
      new RegionStack(app, stackName(topology, region), {
        env: { region, ...(account ? { account } : {}) },
        topology,
        settings,
        description: `DuckStore order saga in ${region}`,
      }),
  );
  if (fisLayerArn) addFaultInjectionStacks(app, stacks, fisLayerArn);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stacks };
}

