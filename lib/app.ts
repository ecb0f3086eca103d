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
  deadlineSweepGraceSeconds: 'duckstore:deadlineSweepGraceSeconds',
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
  return {
    apiAuth: apiAuth as ApiAuth,
    removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    sagaDeadline: Duration.seconds(sagaDeadlineSeconds),
    deadlineSweepGrace: Duration.seconds(sweepGraceSeconds),
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

