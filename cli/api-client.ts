import { randomUUID } from 'node:crypto';
import type { PlaceOrderRequest, Problem } from '#contracts/api';
import type { OrderStatus } from '#contracts/primitives';

/** An order as `GET /orders/{id}` returns it. */
export interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  total: { amountCents: number; currency: string };
  lines: { sku: string; quantity: number; unitPriceCents: number }[];
  cancellationReason?: string;
  createdAt: string;
  updatedAt: string;
  /** When the saga gives up: still PENDING then, the order is cancelled (SAGA_DEADLINE). */
  deadline: string;
  history: { status: OrderStatus; at: string; reason: string; eventId?: string }[];
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T | Problem;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, body: unknown, headers?: Headers) {
    const problem = typeof body === 'object' && body !== null && 'title' in body ? (body as Problem) : undefined;
    super(problem ? `${status} ${problem.title}: ${problem.detail}` : `${status}: ${JSON.stringify(body ?? '').slice(0, 300)}`);
    this.problem = problem;
    const retryAfter = Number(headers?.get('retry-after') ?? Number.NaN);
    if (Number.isFinite(retryAfter) && retryAfter >= 0) this.retryAfterSeconds = retryAfter;
  }

  /** What a 503 or 429 said to wait (Retry-After, in seconds), when it said. */
  readonly retryAfterSeconds: number | undefined;

  readonly problem: Problem | undefined;
}

/** A thin client of the orders API, shared by the CLI, the demo and the end-to-end suite. */
export class OrdersApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Raw request: returns whatever the API answered, for tests of bad input. */
  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<ApiResponse<unknown>> {
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers: this.headers(init.headers), ...(init.body !== undefined ? { body: init.body } : {}) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: body as Problem };
  }

  async placeOrder(request: PlaceOrderRequest, idempotencyKey: string = randomUUID()): Promise<{ orderId: string; replayed: boolean; idempotencyKey: string }> {
    const response = await this.request('POST', '/orders', {
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(request),
    });
    if (response.status !== 202) throw new ApiError(response.status, response.body, response.headers);
    const { orderId, replayed } = response.body as { orderId: string; replayed: boolean };
    return { orderId, replayed, idempotencyKey };
  }

  async getOrder(orderId: string): Promise<OrderView> {
    const response = await this.request('GET', `/orders/${encodeURIComponent(orderId)}`);
    if (response.status !== 200) throw new ApiError(response.status, response.body);
    return response.body as OrderView;
  }

  /** Polls until the order is CONFIRMED or CANCELLED, or the timeout passes (then returns the last state seen). */
  async waitForTerminal(orderId: string, { timeoutMs = 60_000, intervalMs = 250 } = {}): Promise<OrderView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const order = await this.getOrder(orderId);
      if (order.status !== 'PENDING' || Date.now() >= deadline) return order;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
