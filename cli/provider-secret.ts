import { randomBytes } from 'node:crypto';
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { regionDeploymentOf, type Deployment } from './deployment';
import { NotDeployedError } from './errors';

/** Kept 10 s per deployment object: well inside the 30 s for which the simulator still accepts a secret just rotated out. */
const cacheMs = 10_000;
const cache = new WeakMap<Deployment, { value: Promise<string>; at: number }>();

/** The merchant secret's ARN, from the payments stack's output (`PaymentProviderSecretArn`). */
export function providerSecretArn(deployment: Deployment): string {
  const payments = regionDeploymentOf(deployment, 'payments');
  const arn = payments.outputs.PaymentProviderSecretArn;
  if (!arn) throw new NotDeployedError(`output PaymentProviderSecretArn missing from ${payments.stackName}; redeploy the stack`);
  return arn;
}

/** The secret's current value (AWSCURRENT). */
export async function withSecretsManager<T>(deployment: Deployment, use: (client: SecretsManagerClient, arn: string) => Promise<T>): Promise<T> {
  const client = new SecretsManagerClient(deployment.target.aws(regionDeploymentOf(deployment, 'payments').region));
  try {
    return await use(client, providerSecretArn(deployment));
  } finally {
    client.destroy();
  }
}

/** The secret's value at a stage (default AWSCURRENT). */
export function readSecret(deployment: Deployment, stage = 'AWSCURRENT'): Promise<string> {
  return withSecretsManager(deployment, async (client, arn) => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
    if (!SecretString) throw new NotDeployedError(`secret ${arn} has no value`);
    return SecretString;
  });
}

/**
 * The header that authenticates a caller of the provider simulator (its
 * ledger, a probe) as the merchant, with the secret read from Secrets
 * Manager through the deployment's outputs. Never print it.
 */
export async function providerAuthorization(deployment: Deployment): Promise<{ authorization: string }> {
  let cached = cache.get(deployment);
  if (!cached || Date.now() - cached.at > cacheMs) {
    cached = { value: readSecret(deployment), at: Date.now() };
    cache.set(deployment, cached);
    cached.value.catch(() => cache.delete(deployment));
  }
  return { authorization: `Bearer ${await cached.value}` };
}

export const rotationSteps = ['pending', 'promote', 'finish'] as const;
export type RotationStep = (typeof rotationSteps)[number];

/** The version that holds `stage`, if any. */
const versionWith = (stages: Record<string, string[]> | undefined, stage: string) => Object.entries(stages ?? {}).find(([, labels]) => labels.includes(stage))?.[0];

/**
 * One step of the simulator's secret rotation (runbooks/provider-secret-rotation.md):
 * `pending` puts a new random value as AWSPENDING (the simulator accepts both);
 * `promote` makes it AWSCURRENT (the old one becomes AWSPREVIOUS; payments
 * follows on its next 401); `finish` takes AWSPENDING off, after which the
 * old value is refused. Returns what it did, never a value.
 */
export function rotateProviderSecret(deployment: Deployment, step: RotationStep): Promise<string> {
  return withSecretsManager(deployment, async (client, arn) => {
    const { VersionIdsToStages: stages } = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const current = versionWith(stages, 'AWSCURRENT');
    const pending = versionWith(stages, 'AWSPENDING');
    if (step === 'pending') {
      if (pending && pending !== current) return `AWSPENDING is already version ${pending}: promote it, or finish`;
      const { VersionId } = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: randomBytes(32).toString('hex'), VersionStages: ['AWSPENDING'] }));
      return `new value put as AWSPENDING (version ${VersionId}); the simulator accepts it within 30 s. Next: promote`;
    }
    if (!pending) throw new NotDeployedError(`secret ${arn} has no AWSPENDING version: run the pending step first`);
    if (step === 'promote') {
      if (pending === current) return `version ${pending} is already AWSCURRENT. Next: finish`;
      await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: pending, ...(current ? { RemoveFromVersionId: current } : {}) }));
      return `version ${pending} is AWSCURRENT, ${current ?? 'none'} AWSPREVIOUS; payments re-reads it on its next 401. Next: finish`;
    }
    if (pending !== current) throw new NotDeployedError(`AWSPENDING (version ${pending}) is not AWSCURRENT yet: promote it first`);
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending }));
    return `AWSPENDING removed from version ${pending}; the previous value is refused within 30 s`;
  });
}
