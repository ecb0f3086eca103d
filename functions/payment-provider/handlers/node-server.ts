import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logger } from '#shared/powertools';
import type { ProviderPorts } from '../domain/use-cases';
import type { MerchantSecrets } from '../domain/merchant-auth';
import { handleProviderRequest, merchantRefusal } from './http';

/** Shapes a plain HTTP request the way a Lambda Function URL (payload 2.0) delivers it, so one router serves both. */
export async function functionUrlEventOf(request: IncomingMessage): Promise<APIGatewayProxyEventV2> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
  const query: Record<string, string> = {};
  // Function URLs join repeated parameters with commas.
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const method = request.method ?? 'GET';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: `local-${now.getTime()}`,
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks).toString('utf8') } : {}),
  };
}

function structured(result: APIGatewayProxyResultV2): { statusCode: number; headers: Record<string, string>; body: string } {
  if (typeof result === 'string') return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: result };
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]));
  return { statusCode: result.statusCode ?? 200, headers, body: result.body ?? '' };
}

/** The simulator as a plain node HTTP server, for local runs and for contract tests of the merchant side; with `merchantSecrets`, it refuses requests without one as the Lambda does. */
export function createProviderServer(ports: ProviderPorts & { merchantSecrets?: MerchantSecrets }): Server {
  const serve = async (event: APIGatewayProxyEventV2) => (ports.merchantSecrets && (await merchantRefusal(event, ports.merchantSecrets))) || handleProviderRequest(event, ports);
  return createServer((request, response) => {
    functionUrlEventOf(request)
      .then(serve)
      .then((result) => {
        const { statusCode, headers, body } = structured(result);
        response.writeHead(statusCode, headers).end(body);
      })
      .catch((error: unknown) => {
        logger.error('request failed', { error });
        response.writeHead(500, { 'content-type': 'application/problem+json' }).end(
          JSON.stringify({ type: 'https://duckstore.dev/problems/provider/internal', title: 'Internal error', status: 500, detail: 'the provider failed; retry with the same Idempotency-Key' }),
        );
      });
  });
}
