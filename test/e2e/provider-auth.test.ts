import { randomUUID } from 'node:crypto';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '#contracts/api';
import { providerUrl, regionDeploymentOf } from '../../cli/deployment';
import { providerAuthorization, readSecret, rotateProviderSecret } from '../../cli/provider-secret';
import { eventually, functionLogLines, System } from './helpers/system';

/**
 * The provider simulator authenticates the merchant, for real: its function
 * URL refuses a request without the secret or with a wrong one (401), the
 * saga still confirms with the secret that payments reads from Secrets
 * Manager, no function's configuration or log line holds the value, and the
 * rotation of runbooks/provider-secret-rotation.md fails no order. About 45 s
 * (most of it waiting for the simulator to drop the rotated-out secret).
 */
let system: System;
let logStart: number;

beforeAll(async () => {
  system = await System.connect();
  logStart = functionLogLines(system.deployment).end;
});

const ledgerUrl = (orderId: string) => `${providerUrl(system.deployment)}/v1/ledger?orderId=${encodeURIComponent(orderId)}`;
const authorizationUrl = () => `${providerUrl(system.deployment)}/v1/authorizations`;
const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, signal: AbortSignal.timeout(15_000) });

async function refusal(response: Response): Promise<{ status: number; type: string | undefined; contentType: string | null }> {
  const body = (await response.json()) as Problem;
  return { status: response.status, type: body.type, contentType: response.headers.get('content-type') };
}

async function placeAndConfirm(label: string): Promise<string> {
  const { orderId } = await system.api.placeOrder({ customerId: `e2e-${label}-${randomUUID().slice(0, 8)}`, items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });
  expect((await system.api.waitForTerminal(orderId)).status).toBe('CONFIRMED');
  return orderId;
}

describe('the payment provider simulator authenticates the merchant', () => {
  it('answers 401 problem+json to a call without the secret and to one with a wrong secret, and charges nothing', async () => {
    const orderId = `e2e-unauthenticated-${randomUUID()}`;
    const body = JSON.stringify({ orderId, amountCents: 499, currency: 'USD' });
    const post = (headers: Record<string, string>) =>
      fetch(authorizationUrl(), { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': orderId, ...headers }, body, signal: AbortSignal.timeout(15_000) });

    const missing = await refusal(await post({}));
    const wrong = await refusal(await post({ authorization: `Bearer wrong-${randomUUID()}` }));
    const ledgerWithout = await refusal(await get(ledgerUrl(orderId)));
    const ledgerWrong = await refusal(await get(ledgerUrl(orderId), { authorization: 'Bearer wrong' }));

    expect(missing).toEqual({ status: 401, type: 'https://duckstore.dev/problems/provider/credential-missing', contentType: 'application/problem+json' });
    expect(wrong).toEqual({ status: 401, type: 'https://duckstore.dev/problems/provider/credential-invalid', contentType: 'application/problem+json' });
    expect([ledgerWithout.status, ledgerWrong.status]).toEqual([401, 401]);
    expect(await system.ledger(orderId)).toEqual([]);
  });

  it('still confirms a saga: payments reads the secret from Secrets Manager and is authorized', async () => {
    const orderId = await placeAndConfirm('authenticated');

    expect(await system.ledger(orderId)).toMatchObject([{ status: 'AUTHORIZED', orderId }]);
  });

  it('keeps the value out of every function configuration and every function log line', async () => {
    const value = await readSecret(system.deployment);
    const lambda = new LambdaClient(system.deployment.target.aws(system.region('payments')));
    try {
      const functions = regionDeploymentOf(system.deployment, 'payments').resources.filter((resource) => resource.type === 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThan(0);
      for (const { physicalId } of functions) {
        const { Environment } = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: physicalId }));
        expect(JSON.stringify(Environment ?? {}).includes(value), physicalId).toBe(false);
      }
    } finally {
      lambda.destroy();
    }
    const { lines } = functionLogLines(system.deployment, logStart);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => JSON.stringify(line).includes(value))).toEqual([]);
  });

  it('rotates without failing an order: the new secret as AWSPENDING, then promoted; the old one is refused afterwards', async () => {
    const old = await readSecret(system.deployment);

    // Step 1 (`duckstore provider-secret rotate pending`): the simulator accepts both; payments still sends the old one.
    await rotateProviderSecret(system.deployment, 'pending');
    const next = await readSecret(system.deployment, 'AWSPENDING');
    // Within the simulator's 30 s cache (sooner: a mismatch re-reads it, at most every 5 s per execution environment).
    const pendingAccepted = await eventually(async () => ((await get(ledgerUrl('rotation-probe'), { authorization: `Bearer ${next}` })).status === 200 ? true : undefined), 45_000, 2_000);
    expect(pendingAccepted).toBe(true);
    const during = await placeAndConfirm('rotation-during');
    // Steps 2 and 3: promote, then finish. Payments keeps its cached old secret until the simulator refuses it, then re-reads it (one 401).
    await rotateProviderSecret(system.deployment, 'promote');
    await rotateProviderSecret(system.deployment, 'finish');
    const after = await placeAndConfirm('rotation-after');

    const oldRefused = await eventually(async () => ((await get(ledgerUrl('rotation-probe'), { authorization: `Bearer ${old}` })).status === 401 ? true : undefined), 60_000, 2_000);
    expect(oldRefused).toBe(true);
    const later = await placeAndConfirm('rotation-later');
    expect(await readSecret(system.deployment)).toBe(next);
    for (const orderId of [during, after, later]) expect(await system.ledger(orderId)).toMatchObject([{ status: 'AUTHORIZED' }]);
    expect((await get(ledgerUrl('rotation-probe'), await providerAuthorization(system.deployment))).status).toBe(200);
  });
});
