import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface ApiRequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  /** The JWT subject; the caller is anonymous without one. */
  sub?: string;
}

/** An HTTP API (payload format 2.0) event, as API Gateway hands it to the orders function. */
export function apiRequest(spec: ApiRequestSpec): APIGatewayProxyEventV2WithJWTAuthorizer {
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: spec.path,
    rawQueryString: '',
    headers: { host: 'api.duckstore.dev', 'user-agent': 'vitest', ...spec.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'api.duckstore.dev',
      domainPrefix: 'api',
      http: { method: spec.method, path: spec.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest' },
      requestId: 'HfXlKjS0IAMEVxw=',
      routeKey: '$default',
      stage: '$default',
      time: '14/Mar/2025:09:26:53 +0000',
      timeEpoch: 1741944413589,
      ...(spec.sub ? { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: { sub: spec.sub }, scopes: [] } } } : {}),
    },
    isBase64Encoded: spec.isBase64Encoded ?? false,
    ...(spec.body === undefined ? {} : { body: spec.body }),
  };
  // Anonymous requests carry no authorizer, which the JWT event type does not allow for.
  return event as APIGatewayProxyEventV2WithJWTAuthorizer;
}

export const validOrderBody = {
  customerId: 'cust-7f3a21',
  items: [
    { sku: 'DUCK-PIRATE', quantity: 2 },
    { sku: 'DUCK-CLASSIC', quantity: 3 },
  ],
};

export const defaultIdempotencyKey = '5b0c7c1e-2f1a-4d8e-9c3b-7a6f5e4d3c2b';

/** `POST /orders` with a JSON body (an object is serialized, a string is sent as is). */
export function postOrder(
  body: unknown = validOrderBody,
  options: { idempotencyKey?: string | null; contentType?: string | null; sub?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { idempotencyKey = defaultIdempotencyKey, contentType = 'application/json', sub, headers = {} } = options;
  return apiRequest({
    method: 'POST',
    path: '/orders',
    headers: {
      ...(contentType === null ? {} : { 'content-type': contentType }),
      ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(sub ? { sub } : {}),
  });
}

export const getOrderRequest = (orderId: string): APIGatewayProxyEventV2WithJWTAuthorizer => apiRequest({ method: 'GET', path: `/orders/${orderId}` });

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The handler always answers a structured result with a JSON body; anything else fails the test here. */
export function readResponse(result: APIGatewayProxyResultV2): ApiResponse {
  if (typeof result === 'string') throw new Error(`expected a structured result, got the string ${result}`);
  const structured: APIGatewayProxyStructuredResultV2 = result;
  return {
    statusCode: structured.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(structured.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)])),
    body: JSON.parse(structured.body ?? 'null') as Record<string, unknown>,
  };
}
