import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiLimits, placeOrderRequestSchema } from '#contracts/api';
import { orderIdSchema } from '#contracts/primitives';
import { correlate, instrumented, logger } from '#shared/powertools';
import type { ShedDecision } from '#shared/resilience/load-shedding';
import { recordResilienceMetric } from '#shared/resilience/telemetry';
import { UnknownSkuError } from '../domain/order';
import type { Clock, OrderRepository } from '../domain/ports';
import { getOrder, IdempotencyKeyReusedError, placeOrder, UnknownOrderError } from '../domain/use-cases';
import { header, json, zodErrors } from '#shared/http';
import { problem } from './http';

export interface ApiPorts {
  orders: OrderRepository;
  clock: Clock;
  /** How long a placed order's saga may take before it is cancelled. */
  sagaDeadlineSeconds: number;
  /** The run-time override of `sagaDeadlineSeconds` (the control document, experiments only). @default none */
  sagaDeadlineOverride?: () => Promise<number | undefined>;
  /** Whether to refuse new orders now because the system could not finish them in time (load-shedding.ts). @default never */
  loadShedding?: () => Promise<ShedDecision>;
  /**
   * Behind the JWT authorizer (AWS): the claim of the verified token that is
   * the customer. An order is placed for that customer only; a body
   * `customerId` that names another is refused with 403. Unset (the local
   * cloud, `apiAuth=none`), the body's `customerId` is taken as it is.
   */
  customerClaim?: string;
}

type ApiEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer;

const claimsOf = (event: ApiEvent): Record<string, unknown> | undefined => (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer?.jwt?.claims;

function principalOf(event: ApiEvent): string {
  const sub = claimsOf(event)?.sub;
  return typeof sub === 'string' ? sub : 'anonymous';
}

/** Refuses an order the caller may not place: with a customer claim configured, only for the customer the token names. */
function refuseOtherCustomer(event: ApiEvent, customerId: string, claim: string | undefined): APIGatewayProxyResultV2 | undefined {
  if (claim === undefined) return undefined;
  const customer = claimsOf(event)?.[claim];
  if (typeof customer !== 'string' || customer === '') {
    return problem(403, 'no-customer-claim', 'No customer in the token', `the token carries no ${claim} claim to place the order for`);
  }
  if (customer !== customerId) return problem(403, 'customer-mismatch', 'Order for another customer', `this token may place orders for customer ${customer} only`);
  return undefined;
}

function readBody(event: ApiEvent): { text: string } | { error: APIGatewayProxyResultV2 } {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > apiLimits.maxBodyBytes) {
    return { error: problem(413, 'body-too-large', 'Request body too large', `the body must be at most ${apiLimits.maxBodyBytes} bytes`) };
  }
  return { text };
}

async function postOrder(event: ApiEvent, ports: ApiPorts): Promise<APIGatewayProxyResultV2> {
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    return problem(415, 'unsupported-media-type', 'Unsupported content type', `send the order as application/json (got ${contentType || 'no content-type'})`);
  }
  const idempotencyKey = header(event, 'idempotency-key')?.trim() ?? '';
  if (!apiLimits.idempotencyKeyPattern.test(idempotencyKey)) {
    return problem(400, 'invalid-idempotency-key', 'Idempotency-Key header missing or invalid', 'send an Idempotency-Key header of 8-128 characters [A-Za-z0-9._:-], e.g. a UUID, and reuse it when you retry');
  }
  const body = readBody(event);
  if ('error' in body) return body.error;
  let payload: unknown;
  try {
    payload = JSON.parse(body.text);
  } catch {
    return problem(400, 'malformed-json', 'Malformed JSON', 'the request body is not valid JSON');
  }
  const request = placeOrderRequestSchema.safeParse(payload);
  if (!request.success) return problem(400, 'invalid-order', 'Invalid order', 'the order does not match the schema', zodErrors(request.error));
  const refused = refuseOtherCustomer(event, request.data.customerId, ports.customerClaim);
  if (refused) return refused;

  // Shed before anything is written: a refused order leaves no trace, so the client's retry with the same key is a first attempt.
  const load = (await ports.loadShedding?.()) ?? { shed: false };
  if (load.shed) return overloaded(load);

  try {
    const sagaDeadlineSeconds = (await ports.sagaDeadlineOverride?.()) ?? ports.sagaDeadlineSeconds;
    const { orderId, replayed } = await placeOrder({ request: request.data, idempotencyKey, principal: principalOf(event) }, { ...ports, sagaDeadlineSeconds });
    correlate(orderId, { eventType: replayed ? 'PlaceOrderReplayed' : 'PlaceOrder', context: 'orders', component: 'orders-api' });
    logger.info(replayed ? 'order request replayed' : 'order placed', { replayed });
    return json(202, { orderId, status: 'PENDING', replayed }, { location: `/orders/${orderId}`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
  } catch (error) {
    if (error instanceof UnknownSkuError) {
      return problem(422, 'unknown-sku', 'Unknown SKU', error.message, error.skus.map((sku) => ({ path: 'items.sku', message: `unknown sku ${sku}` })));
    }
    if (error instanceof IdempotencyKeyReusedError) return problem(422, 'idempotency-key-reused', 'Idempotency-Key reused', error.message);
    throw error;
  }
}

/** 503, not 429: the service as a whole is behind, not this client over a quota; Retry-After says when to come back. */
function overloaded(load: Extract<ShedDecision, { shed: true }>): APIGatewayProxyResultV2 {
  recordResilienceMetric('loadShed', { metadata: { reason: load.reason, ...Object.fromEntries(Object.entries(load.figures).map(([key, value]) => [key, String(value)])) } });
  logger.warn(`order refused: ${load.reason}`, { reason: load.reason, ...load.figures, retryAfterSeconds: load.retryAfterSeconds });
  const response = problem(
    503,
    'overloaded',
    'Too many orders in progress',
    `the service cannot finish a new order in time (${load.reason}: ${load.detail}); nothing was accepted: retry after ${load.retryAfterSeconds} s with the same Idempotency-Key`,
  ) as APIGatewayProxyStructuredResultV2;
  return { ...response, headers: { ...response.headers, 'retry-after': String(load.retryAfterSeconds) } };
}

async function getOrderById(rawId: string, ports: ApiPorts): Promise<APIGatewayProxyResultV2> {
  const id = orderIdSchema.safeParse(rawId);
  if (!id.success) return problem(400, 'invalid-order-id', 'Invalid order id', 'an order id is a UUID');
  // Ids are minted lower-case; a client may echo one back in upper case.
  const orderId = id.data.toLowerCase();
  correlate(orderId);
  try {
    // Any caller may read an order by id, so whose key placed it (a JWT subject) stays private.
    const { principal: _principal, ...order } = await getOrder(orderId, ports);
    return json(200, order);
  } catch (error) {
    if (error instanceof UnknownOrderError) return problem(404, 'order-not-found', 'Order not found', error.message);
    throw error;
  }
}

/** A malformed escape is an invalid id (400), not a server error. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Routes on method and path, so it serves any HTTP API stage or route key style. */
export async function handleApiRequest(event: ApiEvent, ports: ApiPorts): Promise<APIGatewayProxyResultV2> {
  const method = event.requestContext.http.method.toUpperCase();
  const path = (event.rawPath ?? '').replace(/\/+$/, '');
  const byId = /\/orders\/([^/]+)$/.exec(path);
  if (path.endsWith('/orders') && method === 'POST') return postOrder(event, ports);
  if (byId && method === 'GET') return getOrderById(safeDecode(byId[1]!), ports);
  if (path.endsWith('/orders') || byId) return problem(405, 'method-not-allowed', 'Method not allowed', `${method} is not supported on ${path}`);
  return problem(404, 'no-such-route', 'Not found', `no route for ${method} ${path}`);
}

/** Wraps the router so an unexpected failure is a 500 problem with no internals leaked. */
export function apiHandler(ports: ApiPorts) {
  return instrumented(async (event: ApiEvent): Promise<APIGatewayProxyResultV2> => {
    try {
      return await handleApiRequest(event, ports);
    } catch (error) {
      logger.error('request failed', { error });
      return problem(500, 'internal', 'Internal error', 'the order service failed; retry with the same Idempotency-Key');
    }
  });
}
