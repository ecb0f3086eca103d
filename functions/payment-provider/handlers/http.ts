import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { header, json, problemResponder, zodErrors } from '#shared/http';
import { correlate, instrumented, logger } from '#shared/powertools';
import { outcomeOf, type LedgerRow } from '../domain/authorization';
import { authenticateMerchant, type MerchantSecrets } from '../domain/merchant-auth';
import { InvalidCursorError } from '../domain/ports';
import { authorize, getAuthorization, IdempotencyKeyReusedError, listLedger, NotRefundableError, refund, UnknownAuthorizationError, type ProviderPorts } from '../domain/use-cases';
import { isMerchantCall, withProviderFaults } from './faults';

/** Limits of the simulated API, each with its reason. */
export const providerLimits = {
  /** An authorization request is a few fields; anything larger is a client bug. */
  maxBodyBytes: 8 * 1024,
  /** Visible ASCII as most PSPs accept, 255 like Stripe: a UUID or `refund-<uuid>` fits easily. */
  idempotencyKeyPattern: /^[\x21-\x7e]{1,255}$/,
  authorizationIdPattern: /^[A-Za-z0-9_-]{1,128}$/,
  defaultPageSize: 100,
  maxPageSize: 100,
} as const;

/** Strict: an unknown field means the merchant sends something the simulator would silently ignore. */
export const authorizationRequestSchema = z
  .object({
    orderId: z.string().min(1).max(128),
    amountCents: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    currency: z.literal('USD'),
    customerId: z.string().min(1).max(128).optional(),
  })
  .strict();

const ledgerQuerySchema = z.object({
  orderId: z.string().min(1).max(128),
  limit: z.coerce.number().int().min(1).max(providerLimits.maxPageSize).default(providerLimits.defaultPageSize),
  cursor: z.string().min(1).max(2048).optional(),
});

/** Problems of the simulated provider: the payments adapter tells a rejection from an outage by the type and the status. */
const problem = problemResponder('https://duckstore.dev/problems/provider/');

function idempotencyKeyOf(event: APIGatewayProxyEventV2): { key: string } | { error: APIGatewayProxyResultV2 } {
  const key = header(event, 'idempotency-key')?.trim() ?? '';
  if (providerLimits.idempotencyKeyPattern.test(key)) return { key };
  return {
    error: problem(400, 'invalid-idempotency-key', 'Idempotency-Key header missing or invalid', 'send an Idempotency-Key header of 1-255 visible ASCII characters and reuse it when you retry'),
  };
}

function jsonBody(event: APIGatewayProxyEventV2): { payload: unknown } | { error: APIGatewayProxyResultV2 } {
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    return { error: problem(415, 'unsupported-media-type', 'Unsupported content type', `send application/json (got ${contentType || 'no content-type'})`) };
  }
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > providerLimits.maxBodyBytes) {
    return { error: problem(413, 'body-too-large', 'Request body too large', `the body must be at most ${providerLimits.maxBodyBytes} bytes`) };
  }
  try {
    return { payload: JSON.parse(text) };
  } catch {
    return { error: problem(400, 'malformed-json', 'Malformed JSON', 'the request body is not valid JSON') };
  }
}

function authorizationIdOf(raw: string): string | undefined {
  try {
    const id = decodeURIComponent(raw);
    return providerLimits.authorizationIdPattern.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

const invalidAuthorizationId = () => problem(400, 'invalid-authorization-id', 'Invalid authorization id', 'an authorization id is 1-128 characters [A-Za-z0-9_-]');

const authorizationResponse = (row: LedgerRow) => {
  const outcome = outcomeOf(row);
  return outcome.status === 'AUTHORIZED' ? { authorizationId: outcome.authorizationId, status: outcome.status } : outcome;
};

async function postAuthorization(event: APIGatewayProxyEventV2, ports: ProviderPorts): Promise<APIGatewayProxyResultV2> {
  const key = idempotencyKeyOf(event);
  if ('error' in key) return key.error;
  const body = jsonBody(event);
  if ('error' in body) return body.error;
  const request = authorizationRequestSchema.safeParse(body.payload);
  if (!request.success) return problem(400, 'invalid-request', 'Invalid authorization request', 'the body does not match the schema', zodErrors(request.error));

  correlate(request.data.orderId);
  try {
    const { row, replayed } = await authorize(request.data, key.key, ports);
    logger.info(replayed ? 'authorization replayed' : 'authorization decided', { status: row.status, authorizationId: row.authorizationId, replayed });
    return json(row.status === 'DECLINED' ? 200 : 201, authorizationResponse(row), replayed ? { 'idempotent-replayed': 'true' } : {});
  } catch (error) {
    if (error instanceof IdempotencyKeyReusedError) return problem(409, 'idempotency-key-reused', 'Idempotency-Key reused', error.message);
    throw error;
  }
}

async function postRefund(event: APIGatewayProxyEventV2, rawId: string, ports: ProviderPorts): Promise<APIGatewayProxyResultV2> {
  const authorizationId = authorizationIdOf(rawId);
  if (!authorizationId) return invalidAuthorizationId();
  const key = idempotencyKeyOf(event);
  if ('error' in key) return key.error;
  try {
    const { row, replayed } = await refund(authorizationId, key.key, ports);
    correlate(row.orderId);
    logger.info(replayed ? 'refund replayed' : 'authorization refunded', { authorizationId, replayed });
    return json(200, { authorizationId, status: 'REFUNDED', refundedAt: row.refundedAt }, replayed ? { 'idempotent-replayed': 'true' } : {});
  } catch (error) {
    if (error instanceof UnknownAuthorizationError) return problem(404, 'authorization-not-found', 'Authorization not found', error.message);
    if (error instanceof NotRefundableError) return problem(409, 'not-refundable', 'Authorization not refundable', error.message);
    throw error;
  }
}

async function getAuthorizationById(rawId: string, ports: ProviderPorts): Promise<APIGatewayProxyResultV2> {
  const authorizationId = authorizationIdOf(rawId);
  if (!authorizationId) return invalidAuthorizationId();
  try {
    return json(200, await getAuthorization(authorizationId, ports));
  } catch (error) {
    if (error instanceof UnknownAuthorizationError) return problem(404, 'authorization-not-found', 'Authorization not found', error.message);
    throw error;
  }
}

async function getLedger(event: APIGatewayProxyEventV2, ports: ProviderPorts): Promise<APIGatewayProxyResultV2> {
  const query = ledgerQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success) return problem(400, 'invalid-query', 'Invalid ledger query', 'send ?orderId=…, optionally limit (1-100) and the cursor of the previous page', zodErrors(query.error));
  try {
    const { orderId, limit, cursor } = query.data;
    const page = await listLedger(orderId, { limit, ...(cursor ? { cursor } : {}) }, ports);
    return json(200, { items: page.rows, ...(page.cursor ? { nextCursor: page.cursor } : {}) });
  } catch (error) {
    if (error instanceof InvalidCursorError) return problem(400, 'invalid-cursor', 'Invalid cursor', error.message);
    throw error;
  }
}

/** Routes on method and the end of the path, so it serves a Function URL, an API stage or a local server alike. */
export async function handleProviderRequest(event: APIGatewayProxyEventV2, ports: ProviderPorts): Promise<APIGatewayProxyResultV2> {
  const method = event.requestContext.http.method.toUpperCase();
  const path = (event.rawPath ?? '').replace(/\/+$/, '');
  const refundOf = /\/v1\/authorizations\/([^/]+)\/refund$/.exec(path);
  const byId = /\/v1\/authorizations\/([^/]+)$/.exec(path);
  const isAuthorizations = path.endsWith('/v1/authorizations');
  const isLedger = path.endsWith('/v1/ledger');

  if (isAuthorizations && method === 'POST') return postAuthorization(event, ports);
  if (refundOf && method === 'POST') return postRefund(event, refundOf[1]!, ports);
  if (byId && method === 'GET') return getAuthorizationById(byId[1]!, ports);
  // The merchant's search by its own reference (order id), which outlives the Idempotency-Key; the ledger path is the auditor's name for it.
  if ((isAuthorizations || isLedger) && method === 'GET') return getLedger(event, ports);
  if (isAuthorizations || refundOf || byId || isLedger) return problem(405, 'method-not-allowed', 'Method not allowed', `${method} is not supported on ${path}`);
  return problem(404, 'no-such-route', 'Not found', `no route for ${method} ${path}`);
}

/** Counts a merchant's authorization, refund or look-up request (a breaker's probe is a look-up); a counter failure never fails the request. */
async function countCall(event: APIGatewayProxyEventV2, ports: ProviderPorts): Promise<void> {
  if (!ports.calls || !isMerchantCall(event)) return;
  const operation =
    event.requestContext.http.method.toUpperCase() === 'GET' ? 'lookup' : (event.rawPath ?? '').replace(/\/+$/, '').endsWith('/refund') ? 'refund' : 'authorize';
  await ports.calls.record(operation).catch((error: unknown) => logger.warn('call not counted', { error }));
}

/**
 * Refuses a request without the merchant secret before anything else
 * happens to it (no count, no fault, no read): 401 problem+json with a
 * Bearer challenge. The log line says why, never what was presented.
 */
export async function merchantRefusal(event: APIGatewayProxyEventV2, secrets: MerchantSecrets): Promise<APIGatewayProxyResultV2 | undefined> {
  const outcome = await authenticateMerchant(header(event, 'authorization'), secrets);
  if (outcome === 'valid') return undefined;
  logger.warn('request refused: merchant credential ' + outcome, { method: event.requestContext.http.method, path: event.rawPath, sourceIp: event.requestContext.http.sourceIp });
  const refused = problem(
    401,
    outcome === 'missing' ? 'credential-missing' : 'credential-invalid',
    'Unauthorized',
    outcome === 'missing' ? 'send the merchant secret as Authorization: Bearer <secret>' : 'the merchant secret is not valid (rotated? read it again)',
  );
  return typeof refused === 'string' ? refused : { ...refused, headers: { ...refused.headers, 'www-authenticate': 'Bearer realm="duckstore-provider"' } };
}

/** A failure of the simulator itself is a 500, which the merchant must treat as "try again with the same key". */
export function providerHttpHandler(ports: ProviderPorts & { merchantSecrets: MerchantSecrets }) {
  return instrumented(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    try {
      const refused = await merchantRefusal(event, ports.merchantSecrets);
      if (refused) return refused;
      await countCall(event, ports);
      return await withProviderFaults(event, ports, handleProviderRequest);
    } catch (error) {
      logger.error('request failed', { error });
      return problem(500, 'internal', 'Internal error', 'the provider failed; retry with the same Idempotency-Key');
    }
  });
}
