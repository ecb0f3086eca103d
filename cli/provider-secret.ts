import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
export async function readSecret(deployment: Deployment): Promise<string> {
  const arn = providerSecretArn(deployment);
  const client = new SecretsManagerClient(deployment.target.aws(regionDeploymentOf(deployment, 'payments').region));
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!SecretString) throw new NotDeployedError(`secret ${arn} has no value`);
    return SecretString;
  } finally {
    client.destroy();
  }
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
