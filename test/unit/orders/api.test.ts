import { describe, expect, it } from 'vitest';
import { apiLimits } from '#contracts/api';
import { handleApiRequest } from '../../../functions/orders/handlers/api';
import { applySagaEvent } from '../../../functions/orders/domain/use-cases';
import { apiRequest, getOrderRequest, postOrder, readResponse, validOrderBody } from '../../helpers/orders-api-events';
import { fixedClock, inMemoryOrders, inMemoryTimers } from '../../helpers/orders-fake-repository';
import { sagaEvents } from '../../helpers/orders-saga-events';

function api() {
  const store = inMemoryOrders();
  const ports = { orders: store.repository, clock: fixedClock(), sagaDeadlineSeconds: 300, timers: inMemoryTimers().timers };
  return { store, ports, send: async (event: Parameters<typeof handleApiRequest>[0]) => readResponse(await handleApiRequest(event, ports)) };
}

const problemType = (name: string) => `https://duckstore.dev/problems/${name}`;

const items = (count: number) => Array.from({ length: count }, (_, n) => ({ sku: `DUCK-${n}`, quantity: 1 }));

describe('POST /orders', () => {
  it('accepts a valid order with 202, its id and where to find it', async () => {
    const { store, send } = api();

    const response = await send(postOrder());

    expect(response.statusCode).toBe(202);
    expect(response.body).toEqual({ orderId: expect.any(String), status: 'PENDING', replayed: false });
    expect(response.headers.location).toBe(`/orders/${String(response.body.orderId)}`);
    expect(store.orders.size).toBe(1);
    expect(store.outbox).toHaveLength(1);
  });

  it('answers a retried request with the same order and writes nothing new', async () => {
    const { store, send } = api();
    const first = await send(postOrder());

    const retried = await send(postOrder());

    expect(retried.statusCode).toBe(202);
    expect(retried.body).toEqual({ orderId: first.body.orderId, status: 'PENDING', replayed: true });
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(store.orders.size).toBe(1);
    expect(store.outbox).toHaveLength(1);
  });

  it('scopes the Idempotency-Key to the caller', async () => {
    const { store, send } = api();

    const alice = await send(postOrder(validOrderBody, { sub: 'cognito-sub-alice' }));
    const bob = await send(postOrder(validOrderBody, { sub: 'cognito-sub-bob' }));

    expect(bob.body.orderId).not.toBe(alice.body.orderId);
    expect(store.orders.size).toBe(2);
  });

  it('reads header names in any case', async () => {
    const { send } = api();

    const response = await send(
      postOrder(validOrderBody, { contentType: null, idempotencyKey: null, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Idempotency-Key': 'checkout-7f3a21-0001' } }),
    );

    expect(response.statusCode).toBe(202);
  });

  it('accepts a base64-encoded body', async () => {
    const { store, send } = api();
    const event = postOrder();
    event.body = Buffer.from(JSON.stringify(validOrderBody)).toString('base64');
    event.isBase64Encoded = true;

    const response = await send(event);

    expect(response.statusCode).toBe(202);
    expect(store.orders.get(String(response.body.orderId))?.customerId).toBe(validOrderBody.customerId);
  });

  it.each([
    { refused: 'malformed JSON', event: postOrder('{"customerId": "cust-7f3a21", "items": ['), status: 400, type: 'malformed-json' },
    { refused: 'a missing Idempotency-Key', event: postOrder(validOrderBody, { idempotencyKey: null }), status: 400, type: 'invalid-idempotency-key' },
    { refused: 'an empty Idempotency-Key', event: postOrder(validOrderBody, { idempotencyKey: '' }), status: 400, type: 'invalid-idempotency-key' },
    { refused: 'a blank Idempotency-Key', event: postOrder(validOrderBody, { idempotencyKey: '        ' }), status: 400, type: 'invalid-idempotency-key' },
    { refused: 'a too short Idempotency-Key', event: postOrder(validOrderBody, { idempotencyKey: 'abc1234' }), status: 400, type: 'invalid-idempotency-key' },
    { refused: 'an Idempotency-Key with forbidden characters', event: postOrder(validOrderBody, { idempotencyKey: 'key with spaces/and#hash' }), status: 400, type: 'invalid-idempotency-key' },
    { refused: 'an unknown field', event: postOrder({ ...validOrderBody, couponCode: 'FREE' }), status: 400, type: 'invalid-order' },
    { refused: 'quantity 0', event: postOrder({ ...validOrderBody, items: [{ sku: 'DUCK-CLASSIC', quantity: 0 }] }), status: 400, type: 'invalid-order' },
    { refused: 'a negative quantity', event: postOrder({ ...validOrderBody, items: [{ sku: 'DUCK-CLASSIC', quantity: -2 }] }), status: 400, type: 'invalid-order' },
    { refused: 'a non-integer quantity', event: postOrder({ ...validOrderBody, items: [{ sku: 'DUCK-CLASSIC', quantity: 1.5 }] }), status: 400, type: 'invalid-order' },
    { refused: 'too many items', event: postOrder({ ...validOrderBody, items: items(apiLimits.maxLines + 1) }), status: 400, type: 'invalid-order' },
    { refused: 'a JSON body that is not an object', event: postOrder('null'), status: 400, type: 'invalid-order' },
    { refused: 'an oversized body', event: postOrder(`${JSON.stringify(validOrderBody)}${' '.repeat(apiLimits.maxBodyBytes)}`), status: 413, type: 'body-too-large' },
    { refused: 'a text/plain body', event: postOrder(validOrderBody, { contentType: 'text/plain' }), status: 415, type: 'unsupported-media-type' },
    { refused: 'a body without content type', event: postOrder(validOrderBody, { contentType: null }), status: 415, type: 'unsupported-media-type' },
    { refused: 'an unknown SKU', event: postOrder({ ...validOrderBody, items: [{ sku: 'DUCK-DRAGON', quantity: 1 }] }), status: 422, type: 'unknown-sku' },
  ])('refuses $refused with $status and a problem, and writes nothing', async ({ event, status, type }) => {
    const { store, send } = api();

    const response = await send(event);

    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ type: problemType(type), status, title: expect.any(String), detail: expect.any(String) });
    expect(store.isEmpty()).toBe(true);
  });

  it('names the failing field of an invalid order', async () => {
    const { send } = api();

    const response = await send(postOrder({ ...validOrderBody, items: [{ sku: 'DUCK-CLASSIC', quantity: 0 }] }));

    expect(response.body.errors).toEqual([{ path: 'items.0.quantity', message: expect.any(String) }]);
  });

  it('names the unknown SKUs', async () => {
    const { send } = api();

    const response = await send(postOrder({ ...validOrderBody, items: [{ sku: 'DUCK-DRAGON', quantity: 1 }] }));

    expect(response.body.errors).toEqual([{ path: 'items.sku', message: 'unknown sku DUCK-DRAGON' }]);
  });

  it('refuses a key reused with another body with 422 and keeps the first order only', async () => {
    const { store, send } = api();
    const first = await send(postOrder());

    const response = await send(postOrder({ ...validOrderBody, items: [{ sku: 'DUCK-GOLD', quantity: 1 }] }));

    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ type: problemType('idempotency-key-reused'), status: 422 });
    expect(response.body.detail).toContain(String(first.body.orderId));
    expect(store.orders.size).toBe(1);
    expect(store.outbox).toHaveLength(1);
  });
});

describe('GET /orders/{orderId}', () => {
  it('returns an existing order with its status and history', async () => {
    const { send } = api();
    const { body } = await send(postOrder());

    const response = await send(getOrderRequest(String(body.orderId)));

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toMatchObject({
      orderId: body.orderId,
      status: 'PENDING',
      total: { amountCents: 3295, currency: 'USD' },
      deadline: '2025-03-14T09:31:53.589Z',
      history: [{ status: 'PENDING', at: '2025-03-14T09:26:53.589Z', reason: 'placed' }],
    });
  });

  it('keeps whose key placed the order to itself: any caller may read an order by id', async () => {
    const { store, send } = api();
    const { body } = await send(postOrder(validOrderBody, { sub: 'cognito-sub-alice' }));

    const response = await send(getOrderRequest(String(body.orderId)));

    expect(store.orders.get(String(body.orderId))?.principal).toBe('cognito-sub-alice');
    expect(response.body).not.toHaveProperty('principal');
  });

  it('shows how the order moved once the saga decided', async () => {
    const { ports, send } = api();
    const orderId = String((await send(postOrder())).body.orderId);
    await applySagaEvent(sagaEvents.paymentDeclined(orderId), ports);

    const response = await send(getOrderRequest(orderId));

    expect(response.body).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    expect((response.body.history as { status: string }[]).map((entry) => entry.status)).toEqual(['PENDING', 'CANCELLED']);
  });

  it('answers 404 for an order that does not exist', async () => {
    const { send } = api();

    const response = await send(getOrderRequest('6a03d7b1-e582-49ec-af65-6ee7b8b96479'));

    expect(response.statusCode).toBe(404);
    expect(response.body).toMatchObject({ type: problemType('order-not-found'), status: 404 });
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const { send } = api();

    const response = await send(getOrderRequest('order-42'));

    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ type: problemType('invalid-order-id'), status: 400 });
  });

  it('answers 400, not a server error, for an id with malformed percent-encoding', async () => {
    const { send } = api();

    const response = await send(getOrderRequest('%E0%A4%A'));

    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ type: problemType('invalid-order-id') });
  });
});

describe('routing', () => {
  it.each([
    ['DELETE', '/orders'],
    ['GET', '/orders'],
    ['PUT', '/orders/6a03d7b1-e582-49ec-af65-6ee7b8b96479'],
  ])('answers 405 to %s %s', async (method, path) => {
    const { store, send } = api();

    const response = await send(apiRequest({ method, path }));

    expect(response.statusCode).toBe(405);
    expect(response.body).toMatchObject({ type: problemType('method-not-allowed'), status: 405 });
    expect(store.isEmpty()).toBe(true);
  });

  it.each([
    ['GET', '/ducks'],
    ['POST', '/orders/6a03d7b1-e582-49ec-af65-6ee7b8b96479/cancel'],
  ])('answers 404 to %s %s', async (method, path) => {
    const { send } = api();

    const response = await send(apiRequest({ method, path }));

    expect(response.statusCode).toBe(404);
    expect(response.body).toMatchObject({ type: problemType('no-such-route'), status: 404 });
  });

  it('serves a path with a trailing slash', async () => {
    const { send } = api();
    const event = postOrder();
    event.rawPath = '/orders/';

    const response = await send(event);

    expect(response.statusCode).toBe(202);
  });
});
