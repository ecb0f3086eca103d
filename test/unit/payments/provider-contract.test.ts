import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '#shared/powertools';
import { createProviderServer } from '../../../functions/payment-provider/handlers/node-server';
import { httpPaymentProvider } from '../../../functions/payments/adapters/http-payment-provider';
import { ProviderRejectedError } from '../../../functions/payments/domain/ports';
import { providerPorts } from '../../helpers/provider-fakes';

// The simulator logs every decision; the assertions here are about the answers.
logger.setLogLevel('SILENT');

const orderId = '0b7f2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const ports = providerPorts({ declineAboveCents: 100_000 });
let server: Server;
let client: ReturnType<typeof httpPaymentProvider>;

beforeAll(async () => {
  server = createProviderServer(ports);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = httpPaymentProvider({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, timeoutMs: 2_000 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the payments adapter against the provider simulator', () => {
  it('authorizes, replays the same authorization on a retry, and refunds idempotently', async () => {
    const request = { orderId, amount: { amountCents: 1798, currency: 'USD' as const }, customerId: 'customer-42' };

    const first = await client.authorize(request);
    const retry = await client.authorize(request);
    await client.refund({ orderId, authorizationId: first.outcome === 'AUTHORIZED' ? first.authorizationId : '' });
    await client.refund({ orderId, authorizationId: first.outcome === 'AUTHORIZED' ? first.authorizationId : '' });

    expect(first.outcome).toBe('AUTHORIZED');
    expect(retry).toEqual(first);
    expect([...ports.ledger.rows.values()].filter((row) => row.orderId === orderId)).toMatchObject([{ status: 'REFUNDED', idempotencyKey: orderId }]);
  });

  it('gets a decline with the simulator reason above its limit', async () => {
    const declined = await client.authorize({ orderId: 'b1c2d3e4-0000-4000-8000-000000000001', amount: { amountCents: 250_000, currency: 'USD' }, customerId: 'c' });

    expect(declined).toEqual({ outcome: 'DECLINED', reason: 'LIMIT_EXCEEDED' });
  });

  it('gets a rejection that says a charge may exist when the order is charged again with another amount', async () => {
    const other = 'b1c2d3e4-0000-4000-8000-000000000002';
    await client.authorize({ orderId: other, amount: { amountCents: 100, currency: 'USD' }, customerId: 'c' });

    const error = await client.authorize({ orderId: other, amount: { amountCents: 200, currency: 'USD' }, customerId: 'c' }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect((error as ProviderRejectedError).rejection).toEqual({ reason: 'idempotency-key-reused', status: 409, chargeMayExist: true });
  });

  it('gets a rejection for a refund of an unknown authorization', async () => {
    const error = await client.refund({ orderId, authorizationId: 'auth_unknown' }).catch((caught: unknown) => caught);

    expect((error as ProviderRejectedError).rejection).toMatchObject({ reason: 'authorization-not-found', status: 404 });
  });
});
