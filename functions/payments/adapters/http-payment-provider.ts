import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Deadline } from '#shared/resilience/deadline';
import { CallTimeoutError, DeadlineExceededError, ResilienceRefusalError } from '#shared/resilience/errors';
import type { ResilienceSettings } from '#shared/resilience/profiles';
import type { ResilientCaller } from '#shared/resilience/resilient-call';
import type { CachedSecret } from '#shared/secret';
import type { Authorization } from '../domain/payment';
import { ProviderRejectedError, ProviderUnavailableError, type AuthorizeOptions, type PaymentProvider } from '../domain/ports';

export interface HttpPaymentProviderOptions {
  /** The provider's root, e.g. the simulator's Function URL; a trailing slash is tolerated. */
  baseUrl: string;
  /** Per call, reading the body included: longer than this and the call is abandoned as unavailable (used without `resilience`). */
  timeoutMs: number;
  /**
   * The merchant secret, sent as `Authorization: Bearer <secret>` (as Stripe
   * and most PSPs take it). A 401 re-reads it once, skipping the cache, and
   * sends the request again: the secret may have been rotated, and a refused
   * request did nothing at the provider. @default none: no Authorization header
   */
  merchantSecret?: CachedSecret;
  /**
   * The resilience patterns around each call (docs/resilience.md): `current`
   * is asked per call, so a profile switched at run time applies to the next
   * call. Without it, each call is one attempt bounded by `timeoutMs`.
   */
  resilience?: {
    caller: ResilientCaller;
    current(): ProviderCallPolicy;
  };
}

export interface ProviderCallPolicy {
  settings: ResilienceSettings;
  deadline: Deadline;
  /** False only in the experiment's naive configurations: each attempt then goes out under a fresh key, as a client without idempotency would. */
  sendIdempotencyKeys: boolean;
}

/** The keys that make both calls idempotent at the provider: one authorization and one refund per order. */
export const idempotencyKeys = {
  authorize: (orderId: string) => orderId,
  refund: (orderId: string) => `refund-${orderId}`,
} as const;

const authorizeResponseSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('AUTHORIZED'), authorizationId: z.string().min(1) }),
  z.object({ status: z.literal('DECLINED'), reason: z.string().min(1) }),
]);
const refundResponseSchema = z.object({ status: z.literal('REFUNDED') });
/** The provider's search by order (the merchant's reference): a page of what it recorded, tolerant of extra fields. */
const searchItemSchema = z.object({ authorizationId: z.string().min(1), status: z.enum(['AUTHORIZED', 'DECLINED', 'REFUNDED']), declineReason: z.string().optional() });
const searchResponseSchema = z.object({ items: z.array(searchItemSchema) });
type SearchItem = z.infer<typeof searchItemSchema>;
const problemSchema = z.object({ type: z.string().optional(), title: z.string().optional(), detail: z.string().optional() });

/**
 * 408 and 429 ask us to come back later; 401 and 403 mean our credentials or
 * the URL's auth are wrong, which an operator fixes: retrying (then the DLQ)
 * keeps those orders, where declining them would cancel every order until the
 * fix. Every other 4xx is the provider's final word on the request.
 */
const retryableClientStatuses = new Set([401, 403, 408, 429]);

interface ProviderRequest {
  method: 'GET' | 'POST';
  path: string;
  idempotencyKey?: string;
  body?: unknown;
}

interface ProviderResponse {
  status: number;
  body: unknown;
}

function describe(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}

function rejectionReason(response: ProviderResponse): { reason: string; detail: string } {
  const problem = problemSchema.safeParse(response.body);
  const type = problem.success ? problem.data.type : undefined;
  return {
    reason: type?.split('/').pop() || `http-${response.status}`,
    detail: (problem.success ? (problem.data.detail ?? problem.data.title) : undefined) ?? `HTTP ${response.status}`,
  };
}

/**
 * The payment provider over HTTP, with Node's global fetch. Outages (network,
 * timeout, 5xx, 429) are retried in process as the resilience profile says
 * (bounded, with backoff, under the invocation's deadline, behind a circuit
 * breaker and a bulkhead), then raise ProviderUnavailableError and leave the
 * next retry to the SQS redelivery: both calls carry an Idempotency-Key
 * derived from the order, so a retry after a lost answer charges or refunds
 * nothing twice. A final refusal raises ProviderRejectedError and is never retried.
 */
export function httpPaymentProvider(options: HttpPaymentProviderOptions): PaymentProvider {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  /**
   * One call, under the resilience profile when there is one. `send` is one
   * attempt; the first attempt's `beforeSend` runs just before it leaves, so
   * a refusal by the breaker, the bulkhead or a spent deadline sends nothing
   * and notes nothing. Past `notAfter` no attempt starts, and one in flight is abandoned.
   */
  async function call(operation: string, send: (idempotencyKeyOf: (key: string) => string, signal: AbortSignal | undefined) => Promise<ProviderResponse>, bounds: AuthorizeOptions = {}): Promise<ProviderResponse> {
    let sent = false;
    const once = async (keyOf: (key: string) => string, signal: AbortSignal | undefined) => {
      const remainingMs = bounds.notAfter === undefined ? undefined : bounds.notAfter - Date.now();
      // A refusal, not an outage: the retry loop stops here instead of trying again into the same spent deadline.
      if (remainingMs !== undefined && remainingMs <= 0) throw new DeadlineExceededError('the saga deadline is too close');
      if (!sent) {
        sent = true;
        await bounds.beforeSend?.();
      }
      const signals = [signal, remainingMs === undefined ? undefined : AbortSignal.timeout(remainingMs)].filter((candidate): candidate is AbortSignal => candidate !== undefined);
      return send(keyOf, signals.length > 1 ? AbortSignal.any(signals) : signals[0]);
    };
    const { resilience } = options;
    try {
      if (!resilience) return await once((key) => key, AbortSignal.timeout(options.timeoutMs));
      const policy = resilience.current();
      const keyOf = policy.sendIdempotencyKeys || policy.settings.alwaysSendIdempotencyKeys ? (key: string) => key : (key: string) => `${key}~${randomUUID()}`;
      return await resilience.caller.call(({ signal }) => once(keyOf, signal), {
        settings: policy.settings,
        deadline: policy.deadline,
        operation: `provider ${operation}`,
        isRetryable: (error) => error instanceof ProviderUnavailableError || error instanceof CallTimeoutError,
      });
    } catch (error) {
      // To the use case these are all "the provider could not answer now": the message goes back to SQS, the order is not declined.
      if (error instanceof CallTimeoutError) throw new ProviderUnavailableError(`payment provider ${operation} failed: timed out after ${error.timeoutMs} ms`, { cause: error });
      if (error instanceof ResilienceRefusalError) throw new ProviderUnavailableError(`payment provider ${operation} not attempted: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** The Authorization header; a secret that cannot be read is an outage of the provider path, never a decline. */
  async function credentials(operation: string, refresh: boolean): Promise<Record<string, string>> {
    if (!options.merchantSecret) return {};
    let secret: string | undefined;
    try {
      secret = await options.merchantSecret.value({ refresh });
    } catch (error) {
      throw new ProviderUnavailableError(`payment provider ${operation} not attempted: ${describe(error)}`, { cause: error });
    }
    if (!secret) throw new ProviderUnavailableError(`payment provider ${operation} not attempted: the merchant secret does not exist`);
    return { authorization: `Bearer ${secret}` };
  }

  async function send(operation: string, request: ProviderRequest, signal: AbortSignal | undefined, refresh: boolean) {
    try {
      const response = await fetch(`${baseUrl}${request.path}`, {
        method: request.method,
        headers: {
          accept: 'application/json',
          ...(await credentials(operation, refresh)),
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(request.idempotencyKey === undefined ? {} : { 'idempotency-key': request.idempotencyKey }),
        },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        // A redirect would turn the POST into a GET somewhere else: a misconfigured URL, not an answer.
        redirect: 'error',
        ...(signal ? { signal } : {}),
      });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      if (error instanceof ProviderUnavailableError) throw error;
      throw new ProviderUnavailableError(`payment provider ${operation} failed: ${describe(error)}`, { cause: error });
    }
  }

  async function exchange(operation: string, request: ProviderRequest, signal: AbortSignal | undefined): Promise<ProviderResponse> {
    let { status, text } = await send(operation, request, signal, false);
    // Refused for the credential: read the secret again (a rotation) and try once more; the refused request changed nothing.
    if (status === 401 && options.merchantSecret) ({ status, text } = await send(operation, request, signal, true));
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const response = { status, body: parsed };
    if (status >= 200 && status < 300) return response;
    if (status >= 400 && status < 500 && !retryableClientStatuses.has(status)) {
      const { reason, detail } = rejectionReason(response);
      throw new ProviderRejectedError(`payment provider refused the ${operation} (HTTP ${status} ${reason}): ${detail}`, {
        reason,
        status,
        // A conflict on the authorization key means an earlier request under it was accepted.
        chargeMayExist: operation === 'authorization' && status === 409,
      });
    }
    throw new ProviderUnavailableError(`payment provider ${operation} answered HTTP ${status}`);
  }

  const post = (operation: string, path: string, idempotencyKey: string, body: unknown, bounds?: AuthorizeOptions) =>
    call(operation, (keyOf, signal) => exchange(operation, { method: 'POST', path, idempotencyKey: keyOf(idempotencyKey), body }, signal), bounds);

  return {
    async authorize({ orderId, amount, customerId }, bounds): Promise<Authorization> {
      const response = await post('authorization', '/v1/authorizations', idempotencyKeys.authorize(orderId), { orderId, amountCents: amount.amountCents, currency: amount.currency, customerId }, bounds);
      const answer = authorizeResponseSchema.safeParse(response.body);
      // The charge may have happened; asking again with the same key is safe and will get a readable answer or fail loudly.
      if (!answer.success) throw new ProviderUnavailableError(`payment provider answered the authorization with an unexpected body (HTTP ${response.status})`);
      return answer.data.status === 'AUTHORIZED'
        ? { outcome: 'AUTHORIZED', authorizationId: answer.data.authorizationId }
        : { outcome: 'DECLINED', reason: answer.data.reason };
    },

    async refund({ orderId, authorizationId }): Promise<void> {
      const response = await post('refund', `/v1/authorizations/${encodeURIComponent(authorizationId)}/refund`, idempotencyKeys.refund(orderId), {});
      if (!refundResponseSchema.safeParse(response.body).success) {
        throw new ProviderUnavailableError(`payment provider answered the refund with an unexpected body (HTTP ${response.status})`);
      }
    },

    async findAuthorization(orderId): Promise<Authorization | undefined> {
      const response = await call('look-up', (_, signal) => exchange('look-up', { method: 'GET', path: `/v1/authorizations?orderId=${encodeURIComponent(orderId)}` }, signal));
      const page = searchResponseSchema.safeParse(response.body);
      if (!page.success) throw new ProviderUnavailableError(`payment provider answered the look-up with an unexpected body (HTTP ${response.status})`);
      return heldAuthorization(page.data.items);
    },
  };
}

/**
 * What the provider's records for an order amount to: the authorization
 * that took money (held or already refunded: either way it was made), else
 * the decline, else nothing. One order has at most one of each under its key;
 * should a naive client have left several, the one that took money wins,
 * since that is the one a cancelled order must give back.
 */
export function heldAuthorization(items: readonly SearchItem[]): Authorization | undefined {
  const charged = items.find((item) => item.status === 'AUTHORIZED') ?? items.find((item) => item.status === 'REFUNDED');
  if (charged) return { outcome: 'AUTHORIZED', authorizationId: charged.authorizationId };
  const declined = items.find((item) => item.status === 'DECLINED');
  return declined ? { outcome: 'DECLINED', reason: declined.declineReason ?? 'DECLINED' } : undefined;
}

/** The reference a probe looks up: no order has it, so the provider answers an empty page. */
export const probeOrderId = 'duckstore-breaker-probe';

/**
 * One request that says whether the provider is back: the merchant's own
 * look-up by order (GET, read-only, no key), the path the payments client
 * uses, for a reference no order has. Any answer is "back", a refusal too
 * (the provider is there to refuse); an outage, a 5xx, a 401/403/429, a
 * timeout or an unusable body is not. It bypasses
 * the breaker (it is the breaker's probe) and counts as a provider request.
 */
export async function probeProvider(baseUrl: string, timeoutMs: number, merchantSecret?: CachedSecret): Promise<{ ok: true } | { ok: false; reason: string }> {
  const provider = httpPaymentProvider({ baseUrl, timeoutMs, ...(merchantSecret ? { merchantSecret } : {}) });
  try {
    await provider.findAuthorization(probeOrderId);
    return { ok: true };
  } catch (error) {
    if (error instanceof ProviderRejectedError) return { ok: true };
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
