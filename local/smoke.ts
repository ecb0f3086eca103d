/**
 * The by-hand end-to-end check of a local deployment, as code: three orders
 * through the API, each polled until it reaches its expected terminal state.
 *
 *   happy path        DUCK-CLASSIC ×2  → CONFIRMED  (inventory us-east-1 → payments us-west-2 → back)
 *   payment declined  DUCK-GOLD ×1     → CANCELLED  (250000 cents > the simulator's 100000 limit)
 *   out of stock      DUCK-LIMITED ×50 → CANCELLED  (3 in stock)
 */
import { randomUUID } from 'node:crypto';
import type { LocalDeployment } from './deployment';
import { say } from './paths';

export interface OrderView {
  orderId: string;
  status: string;
  history?: unknown[];
  [key: string]: unknown;
}

/** POST /orders; throws unless the API answers 202. */
export async function placeOrder(apiBaseUrl: string, body: unknown, idempotencyKey: string = randomUUID()): Promise<{ orderId: string; replayed: boolean }> {
  const response = await fetch(`${apiBaseUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST /orders answered HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as { orderId: string; replayed: boolean };
}

export async function getOrder(apiBaseUrl: string, orderId: string): Promise<OrderView> {
  const response = await fetch(`${apiBaseUrl}/orders/${orderId}`, { signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /orders/${orderId} answered HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as OrderView;
}

const terminal = new Set(['CONFIRMED', 'CANCELLED']);

/** Polls GET /orders/{id} until the order is CONFIRMED or CANCELLED; throws with the last view on timeout. */
export async function waitForTerminal(apiBaseUrl: string, orderId: string, { timeoutMs = 120_000, intervalMs = 250 } = {}): Promise<OrderView> {
  const deadline = Date.now() + timeoutMs;
  let last: OrderView | undefined;
  while (Date.now() < deadline) {
    last = await getOrder(apiBaseUrl, orderId);
    if (terminal.has(last.status)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`order ${orderId} is still ${last?.status ?? 'unknown'} after ${timeoutMs / 1000} s: ${JSON.stringify(last)}`);
}

export interface SmokeCase {
  name: string;
  body: { customerId: string; items: { sku: string; quantity: number }[] };
  expected: 'CONFIRMED' | 'CANCELLED';
}

export const smokeCases: readonly SmokeCase[] = [
  { name: 'happy path', body: { customerId: 'c-1', items: [{ sku: 'DUCK-CLASSIC', quantity: 2 }] }, expected: 'CONFIRMED' },
  { name: 'payment declined', body: { customerId: 'c-2', items: [{ sku: 'DUCK-GOLD', quantity: 1 }] }, expected: 'CANCELLED' },
  { name: 'out of stock', body: { customerId: 'c-3', items: [{ sku: 'DUCK-LIMITED', quantity: 50 }] }, expected: 'CANCELLED' },
];

export interface SmokeResult {
  name: string;
  orderId: string;
  status: string;
  expected: string;
  ok: boolean;
  /** From the 202 of POST /orders to the first GET that saw the terminal state (polling every 250 ms). */
  sagaSeconds: number;
  /** The order's own clock: createdAt to the terminal entry of its history (no polling error). */
  serverSeconds: number | undefined;
  order: OrderView;
}

/** createdAt → the `at` of the last history entry, when the order carries both. */
function serverLatency(order: OrderView): number | undefined {
  const last = order.history?.at(-1) as { at?: unknown } | undefined;
  const createdAt = typeof order.createdAt === 'string' ? Date.parse(order.createdAt) : NaN;
  const at = typeof last?.at === 'string' ? Date.parse(last.at) : NaN;
  return Number.isNaN(createdAt) || Number.isNaN(at) ? undefined : (at - createdAt) / 1000;
}

/** Runs the cases one after another (so each latency is the saga's own) and reports each. */
export async function runSmoke(deployment: LocalDeployment, cases: readonly SmokeCase[] = smokeCases, timeoutMs = 120_000): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const smokeCase of cases) {
    const { orderId } = await placeOrder(deployment.api.baseUrl, smokeCase.body);
    const placedAt = performance.now();
    say('smoke', `${smokeCase.name}: order ${orderId} placed, waiting for ${smokeCase.expected}`);
    const order = await waitForTerminal(deployment.api.baseUrl, orderId, { timeoutMs });
    const sagaSeconds = (performance.now() - placedAt) / 1000;
    const ok = order.status === smokeCase.expected;
    const serverSeconds = serverLatency(order);
    say(
      'smoke',
      `${smokeCase.name}: ${order.status} after ${sagaSeconds.toFixed(2)} s (order clock ${serverSeconds?.toFixed(3) ?? '?'} s) ` +
        `${ok ? 'ok' : `UNEXPECTED (wanted ${smokeCase.expected})`}`,
    );
    results.push({ name: smokeCase.name, orderId, status: order.status, expected: smokeCase.expected, ok, sagaSeconds, serverSeconds, order });
  }
  return results;
}
