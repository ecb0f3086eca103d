import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { problemResponder } from '#shared/http';
import { logger } from '#shared/powertools';
import { sleep } from '#shared/retry';
import { planProviderFaults, timeoutHangMs } from '../domain/faults';
import type { ProviderPorts } from '../domain/use-cases';

const problem = problemResponder('https://duckstore.dev/problems/provider/');

/** A merchant's charge or refund: the calls faults apply to. Look-ups (the auditor's, a test's) stay truthful. */
export function isMerchantCall(event: APIGatewayProxyEventV2): boolean {
  const method = event.requestContext.http.method.toUpperCase();
  const path = (event.rawPath ?? '').replace(/\/+$/, '');
  // The merchant's look-up by order (payments' uncertain attempts and its breaker's probes) fails in an outage like the rest.
  if (method === 'GET') return path.endsWith('/v1/authorizations');
  return method === 'POST' && (path.endsWith('/v1/authorizations') || /\/v1\/authorizations\/[^/]+\/refund$/.test(path));
}

/** The order a request is about, for the log line of an injected fault (a refund names only its authorization). */
function orderIdOf(event: APIGatewayProxyEventV2): string | undefined {
  try {
    const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const orderId = (JSON.parse(raw) as { orderId?: unknown }).orderId;
    return typeof orderId === 'string' ? orderId : undefined;
  } catch {
    return undefined;
  }
}

export interface FaultTools {
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Answers a request the way a failing provider would, per the operator's
 * fault settings (docs/faults.md): an outage refuses it (503), latency
 * delays it, an error fails it before anything is charged (500), a decline
 * declines it whatever the amount, and a timeout processes it, charging,
 * then answers only after the merchant's client has given up, so the
 * merchant must retry with the same Idempotency-Key to learn the outcome.
 */
export async function withProviderFaults(
  event: APIGatewayProxyEventV2,
  ports: ProviderPorts,
  handle: (event: APIGatewayProxyEventV2, ports: ProviderPorts) => Promise<APIGatewayProxyResultV2>,
  tools: FaultTools = {},
): Promise<APIGatewayProxyResultV2> {
  if (!ports.faults || !isMerchantCall(event)) return handle(event, ports);
  const plan = planProviderFaults(await ports.faults(), tools.random);
  const wait = tools.sleep ?? sleep;
  const fault = plan.outage ? 'outage' : plan.error ? 'error' : plan.timeout ? 'timeout' : plan.decline ? 'decline' : plan.latencyMs > 0 ? 'latency' : undefined;
  if (fault) logger.warn('fault injected', { fault, correlationId: orderIdOf(event), ...plan });
  if (plan.outage) return problem(503, 'unavailable', 'Service unavailable', 'the provider is down (simulated outage); retry later with the same Idempotency-Key');
  if (plan.latencyMs > 0) await wait(plan.latencyMs);
  if (plan.error) return problem(500, 'internal', 'Internal error', 'the provider failed (simulated); retry with the same Idempotency-Key');
  const result = await handle(event, plan.decline ? { ...ports, forceDecline: true } : ports);
  if (plan.timeout) await wait(timeoutHangMs);
  return result;
}
