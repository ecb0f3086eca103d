import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { providerHttpHandler } from '../../../functions/payment-provider/handlers/http';
import { logger } from '#shared/powertools';
import { fixedMerchantSecrets, functionUrlEvent, merchantAuthorization, providerPorts, readResult } from '../../helpers/provider-fakes';

logger.setLogLevel('SILENT');

const context = { functionName: 'payment-provider' } as Context;
const headers = { 'content-type': 'application/json', 'idempotency-key': 'order-1', ...merchantAuthorization };
const order = { orderId: 'order-1', amountCents: 1798, currency: 'USD' };

/** The simulator counts every merchant request, failed ones included, for the chaos runner's retry amplification. */
describe('provider call counter', () => {
  it('counts each authorization and refund request, before faults, but not look-ups', async () => {
    const counted: string[] = [];
    const ports = providerPorts({ calls: { record: async (operation) => void counted.push(operation) }, faults: async () => ({ outage: true }) });
    const handler = providerHttpHandler({ ...ports, merchantSecrets: fixedMerchantSecrets() });

    const refused = readResult(await handler(functionUrlEvent({ method: 'POST', path: '/v1/authorizations', headers, body: order }), context));
    await handler(functionUrlEvent({ method: 'POST', path: '/v1/authorizations/auth_1/refund', headers: { ...headers, 'idempotency-key': 'refund-order-1' } }), context);
    await handler(functionUrlEvent({ method: 'GET', path: '/v1/ledger', headers: merchantAuthorization, query: { orderId: 'order-1' } }), context);

    expect(refused.status).toBe(503);
    expect(counted).toEqual(['authorize', 'refund']);
  });

  it('answers the request even when the counter fails', async () => {
    const ports = providerPorts({
      calls: {
        record: async () => {
          throw new Error('counter table throttled');
        },
      },
    });

    const result = readResult(await providerHttpHandler({ ...ports, merchantSecrets: fixedMerchantSecrets() })(functionUrlEvent({ method: 'POST', path: '/v1/authorizations', headers, body: order }), context));

    expect(result.status).toBe(201);
  });
});
