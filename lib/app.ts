import { App, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ApiAuth } from './constructs/orders-service';
import { RegionStack, type DeploymentSettings } from './stacks/region-stack';
import { deployedRegions, parseTopology, regionOf, stackName, topologyContextKey, type Topology } from './topology';

export const settingKeys = {
  apiAuth: 'duckstore:apiAuth',
  removalPolicy: 'duckstore:removalPolicy',
  providerUrl: 'duckstore:providerUrl',
  providerSecretArn: 'duckstore:providerSecretArn',
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

/** A complete Secrets Manager ARN (with the six-character suffix, so a grant names exactly that secret). */
const secretArnPattern = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

/**
 * The real provider and its merchant secret, both or neither: without them the
 * simulator is deployed with a secret of its own. The secret must live in the
 * payments region, where the consumer reads it.
 */
function providerSettings(app: App, topology: Topology): Pick<DeploymentSettings, 'providerUrl' | 'providerSecretArn'> {
  const url: unknown = app.node.tryGetContext(settingKeys.providerUrl) ?? '';
  const secretArn: unknown = app.node.tryGetContext(settingKeys.providerSecretArn) ?? '';
  if (typeof url !== 'string' || (url !== '' && !/^https:\/\/[^\s/]+/.test(url))) throw new InvalidSettingError(`${settingKeys.providerUrl} must be an https:// URL, got ${JSON.stringify(url)}`);
  if (typeof secretArn !== 'string') throw new InvalidSettingError(`${settingKeys.providerSecretArn} must be a Secrets Manager secret ARN, got ${JSON.stringify(secretArn)}`);
  if (url === '' && secretArn === '') return {};
  if (url === '') throw new InvalidSettingError(`${settingKeys.providerSecretArn} is the secret of a real provider: set ${settingKeys.providerUrl} too, or remove it (the simulator makes its own)`);
  if (secretArn === '') throw new InvalidSettingError(`${settingKeys.providerUrl} needs ${settingKeys.providerSecretArn}: the ARN of the Secrets Manager secret that holds the merchant key the provider authenticates DuckStore by`);
  const region = secretArnPattern.exec(secretArn)?.[1];
  if (!region) throw new InvalidSettingError(`${settingKeys.providerSecretArn} must be the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), got ${JSON.stringify(secretArn)}`);
  const paymentsRegion = regionOf(topology, 'payments');
  if (region !== paymentsRegion) throw new InvalidSettingError(`${settingKeys.providerSecretArn} is in ${region}; payments runs in ${paymentsRegion} and reads it there: replicate the secret to ${paymentsRegion} and give that ARN`);
  return { providerUrl: url, providerSecretArn: secretArn };
}

function readSettings(app: App, topology: Topology): DeploymentSettings {
  const apiAuth = app.node.tryGetContext(settingKeys.apiAuth) ?? 'cognito';
  if (apiAuth !== 'cognito' && apiAuth !== 'none') throw new InvalidSettingError(`${settingKeys.apiAuth} must be "cognito" or "none", got ${JSON.stringify(apiAuth)}`);
  const removal = app.node.tryGetContext(settingKeys.removalPolicy) ?? 'retain';
  if (removal !== 'retain' && removal !== 'destroy') throw new InvalidSettingError(`${settingKeys.removalPolicy} must be "retain" or "destroy", got ${JSON.stringify(removal)}`);
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
    ...providerSettings(app, topology),
  };
}

/** Builds the whole app: one stack per region of the topology, all checked by cdk-nag. */
export function buildApp(app: App = new App()): { app: App; stacks: RegionStack[] } {
  const topology = parseTopology(app.node.tryGetContext(topologyContextKey));
  const settings = readSettings(app, topology);
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

