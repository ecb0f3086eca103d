import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '#shared/powertools';
import { cachedSecret } from '#shared/secret';
import { createProviderServer } from '../../../functions/payment-provider/handlers/node-server';
import { httpPaymentProvider } from '../../../functions/payments/adapters/http-payment-provider';
import { ProviderUnavailableError } from '../../../functions/payments/domain/ports';
import { closeServer, listenLocally } from '../../helpers/local-server';
import { InMemoryParameterProvider } from '../../helpers/memory-parameters';
import { providerPorts } from '../../helpers/provider-fakes';

logger.setLogLevel('SILENT');

const secretId = 'arn:aws:secretsmanager:us-west-2:000000000000:secret:merchant-AbCdEf';
const charge = (orderId: string) => ({ orderId, amount: { amountCents: 1798, currency: 'USD' as const }, customerId: 'customer-42' });

/** The secret store both sides read, each through its own cache, as in a deployment. */
const store = new InMemoryParameterProvider();
/** What the simulator accepts right now; a test changes it to play a rotation the simulator has already seen. */
let accepted: string[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createProviderServer({ ...providerPorts(), merchantSecrets: { accepted: async () => accepted } });
  baseUrl = await listenLocally(server);
});

afterAll(() => closeServer(server));

beforeEach(() => {
  store.values.clear();
  store.reads.length = 0;
});

/** Payments' side: the merchant secret through a Powertools provider (its own cache over the store), as the consumer reads it. */
function payments() {
  const provider = new InMemoryParameterProvider(store.values);
  return { provider, client: httpPaymentProvider({ baseUrl, timeoutMs: 2_000, merchantSecret: cachedSecret(secretId, { provider, maxAgeSeconds: 300 }) }) };
}

describe('the payments adapter and the merchant secret', () => {
  it('sends the secret as Authorization: Bearer and reads it once for many calls (cached)', async () => {
    store.set(secretId, 'secret-1');
    accepted = ['secret-1'];
    const { provider, client } = payments();

    const first = await client.authorize(charge('order-cached-1'));
    await client.authorize(charge('order-cached-2'));

    expect(first.outcome).toBe('AUTHORIZED');
    expect(provider.reads).toEqual([`${secretId}@AWSCURRENT`]);
  });

  it('re-reads the secret once after a 401 (forceFetch) and succeeds with the rotated one, without a redeploy', async () => {
    store.set(secretId, 'secret-old');
    accepted = ['secret-old'];
    const { provider, client } = payments();
    await client.authorize(charge('order-rotation-1'));

    // Rotated: the store and the simulator have the new secret; payments still holds the old one in its cache.
    store.set(secretId, 'secret-new');
    accepted = ['secret-new'];
    const after = await client.authorize(charge('order-rotation-2'));
    await client.authorize(charge('order-rotation-3'));

    expect(after.outcome).toBe('AUTHORIZED');
    expect(provider.reads).toEqual([`${secretId}@AWSCURRENT`, `${secretId}@AWSCURRENT`]);
  });

  it('treats a secret the provider keeps refusing as an outage after one refresh: the order is retried later, never declined', async () => {
    store.set(secretId, 'secret-wrong');
    accepted = ['secret-right'];
    const { provider, client } = payments();

    await expect(client.authorize(charge('order-refused'))).rejects.toThrow(ProviderUnavailableError);
    expect(provider.reads).toHaveLength(2);
  });

  it('fails as an outage (retried, never declined) when the secret does not exist', async () => {
    accepted = ['secret-right'];
    const { client } = payments();

    await expect(client.findAuthorization('order-none')).rejects.toThrow(/merchant secret does not exist/);
  });
});
