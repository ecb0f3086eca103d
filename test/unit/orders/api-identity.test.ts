import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handleApiRequest, type ApiPorts } from '../../../functions/orders/handlers/api';
import { postOrder, readResponse, validOrderBody } from '../../helpers/orders-api-events';
import { fixedClock, inMemoryOrders } from '../../helpers/orders-fake-repository';

/** The orders API as deployed: behind the JWT authorizer with `customerClaim`, or locally (apiAuth=none) without. */
function api(customerClaim?: string) {
  const store = inMemoryOrders();
  const ports: ApiPorts = { orders: store.repository, clock: fixedClock(), sagaDeadlineSeconds: 300, ...(customerClaim ? { customerClaim } : {}) };
  return { store, send: async (event: APIGatewayProxyEventV2WithJWTAuthorizer) => readResponse(await handleApiRequest(event, ports)) };
}

/** An HTTP API (payload 2.0) request as API Gateway hands it on after its JWT authorizer verified a token with these claims. */
function withClaims(event: APIGatewayProxyEventV2WithJWTAuthorizer, claims: Record<string, string>): APIGatewayProxyEventV2WithJWTAuthorizer {
  return { ...event, requestContext: { ...event.requestContext, authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } } } };
}

const orderFor = (customerId: string) => postOrder({ ...validOrderBody, customerId });

/** A 403 problem of this type, and nothing written: no order, no outbox row. */
function expectRefusedUnwritten(response: Awaited<ReturnType<ReturnType<typeof api>['send']>>, store: ReturnType<typeof api>['store'], problem: string): void {
  expect(response.statusCode).toBe(403);
  expect(response.body).toMatchObject({ type: `https://duckstore.dev/problems/${problem}`, status: 403 });
  expect(store.orders.size).toBe(0);
  expect(store.outbox).toHaveLength(0);
}

describe('POST /orders: whose order it is', () => {
  it('places the order for the customer the token names when the body names the same one', async () => {
    const { store, send } = api('sub');

    const response = await send(withClaims(orderFor('cognito-sub-alice'), { sub: 'cognito-sub-alice' }));

    expect(response.statusCode).toBe(202);
    expect([...store.orders.values()].map((order) => order.customerId)).toEqual(['cognito-sub-alice']);
  });

  it('refuses with 403 problem+json an order whose body names another customer than the token, and writes nothing', async () => {
    const { store, send } = api('sub');

    const response = await send(withClaims(orderFor('cognito-sub-bob'), { sub: 'cognito-sub-alice' }));

    expect(response.headers['content-type']).toBe('application/problem+json');
    expectRefusedUnwritten(response, store, 'customer-mismatch');
  });

  it('takes the customer from a configured claim instead of sub', async () => {
    const { store, send } = api('custom:customerId');
    const claims = { sub: 'cognito-sub-alice', 'custom:customerId': 'cust-7f3a21' };

    const accepted = await send(withClaims(orderFor('cust-7f3a21'), claims));
    const refused = await send(withClaims(orderFor('cognito-sub-alice'), claims));

    expect(accepted.statusCode).toBe(202);
    expect(refused.statusCode).toBe(403);
    expect([...store.orders.values()].map((order) => order.customerId)).toEqual(['cust-7f3a21']);
  });

  it('refuses with 403 a token that lacks the customer claim', async () => {
    const { store, send } = api('custom:customerId');

    const response = await send(withClaims(orderFor('cust-7f3a21'), { sub: 'cognito-sub-alice' }));

    expectRefusedUnwritten(response, store, 'no-customer-claim');
  });

  it('keeps the body customerId without the authorizer (apiAuth=none, the local cloud)', async () => {
    const { store, send } = api();

    const anonymous = await send(orderFor('c-1'));
    const withOtherSub = await send(withClaims(postOrder({ ...validOrderBody, customerId: 'c-2' }, { idempotencyKey: 'second-order-key-0002' }), { sub: 'someone-else' }));

    expect([anonymous.statusCode, withOtherSub.statusCode]).toEqual([202, 202]);
    expect([...store.orders.values()].map((order) => order.customerId).sort()).toEqual(['c-1', 'c-2']);
  });
});
