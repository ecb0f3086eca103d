import { App, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ApiAuth } from './constructs/orders-service';
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
  awsOnlyResources: 'duckstore:awsOnlyResources',
  reservedConcurrency: 'duckstore:reservedConcurrency',
  customerClaim: 'duckstore:customerClaim',
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

/** true or false from the context: `-c key=true` gives a string, cdk.json a boolean; both are accepted. */
function flag(app: App, key: string, fallback: boolean): boolean {
  const setting: unknown = app.node.tryGetContext(key) ?? fallback;
  if (![true, false, 'true', 'false'].includes(setting as string)) throw new InvalidSettingError(`${key} must be true or false, got ${JSON.stringify(setting)}`);
  return setting === true || setting === 'true';
}

/** The setting that FIS once needed: the layer now comes from each region's public SSM parameter, so a value given for it is a mistake worth saying. */
const retiredFisLayerSetting = 'duckstore:fisExtensionLayerArn';

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
  if (app.node.tryGetContext(retiredFisLayerSetting) !== undefined) {
    throw new InvalidSettingError(`${retiredFisLayerSetting} is no longer read: each region stack reads the FIS extension layer from the public SSM parameter of its region (docs/faults.md); remove it`);
  }
  const customerClaim: unknown = app.node.tryGetContext(settingKeys.customerClaim) ?? 'sub';
  if (typeof customerClaim !== 'string' || !/^[A-Za-z0-9_:.-]{1,128}$/.test(customerClaim)) throw new InvalidSettingError(`${settingKeys.customerClaim} must be the name of a JWT claim, got ${JSON.stringify(customerClaim)}`);
  return {
    // On unless turned off: the local deploy turns it off, ministack cannot host those resources (docs/operations.md).
    awsOnlyResources: flag(app, settingKeys.awsOnlyResources, true),
    apiAuth: apiAuth as ApiAuth,
    removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    sagaDeadline: Duration.seconds(sagaDeadlineSeconds),
    sagaDeadlineMargin: Duration.seconds(marginSeconds),
    deadlineSweepGrace: Duration.seconds(sweepGraceSeconds),
    outboxSweepBound: Duration.seconds(outboxSweepBoundSeconds),
    // Off unless asked for: without it no function reads the control document (docs/faults.md).
    faultInjection: flag(app, settingKeys.faultInjection, false),
    // AWS only (docs/faults.md): experiment templates in each region stack.
    fis: flag(app, settingKeys.fis, false),
    // Off unless asked for: an account on the new-account concurrency quota refuses any reservation (docs/operations.md).
    reservedConcurrency: flag(app, settingKeys.reservedConcurrency, false),
    customerClaim,
    ...(typeof providerUrl === 'string' && providerUrl ? { providerUrl } : {}),
  };
}

/** Builds the whole app: one stack per region of the topology, all checked by cdk-nag. */
export function buildApp(app: App = new App()): { app: App; stacks: RegionStack[] } {
  const topology = parseTopology(app.node.tryGetContext(topologyContextKey));
  const settings = readSettings(app);
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
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stacks };
}

