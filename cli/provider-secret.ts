import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { regionDeploymentOf, type Deployment } from './deployment';
import { NotDeployedError } from './errors';

/** Read once per deployment object (a command, a test file): the simulator accepts it for as long as the rotation runbook keeps it. */
const cache = new WeakMap<Deployment, Promise<string>>();

/** The merchant secret's ARN, from the payments stack's output (`PaymentProviderSecretArn`). */
export function providerSecretArn(deployment: Deployment): string {
  const payments = regionDeploymentOf(deployment, 'payments');
  const arn = payments.outputs.PaymentProviderSecretArn;
  if (!arn) throw new NotDeployedError(`output PaymentProviderSecretArn missing from ${payments.stackName}; redeploy the stack`);
  return arn;
}

async function readSecret(deployment: Deployment): Promise<string> {
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
  let secret = cache.get(deployment);
  if (!secret) {
    secret = readSecret(deployment);
    cache.set(deployment, secret);
    secret.catch(() => cache.delete(deployment));
  }
  return { authorization: `Bearer ${await secret}` };
}
