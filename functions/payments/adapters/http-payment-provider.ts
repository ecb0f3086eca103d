import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Deadline } from '#shared/resilience/deadline';
import { CallTimeoutError, ResilienceRefusalError } from '#shared/resilience/errors';
import type { ResilienceSettings } from '#shared/resilience/profiles';
import type { ResilientCaller } from '#shared/resilience/resilient-call';
import type { Authorization } from '../domain/payment';
import { ProviderRejectedError, ProviderUnavailableError, type PaymentProvider } from '../domain/ports';

export interface HttpPaymentProviderOptions {
  /** The provider's root, e.g. the simulator's Function URL; a trailing slash is tolerated. */
  baseUrl: string;
  /** Per call, reading the body included: longer than this and the call is abandoned as unavailable (used without `resilience`). */
  timeoutMs: number;
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
const problemSchema = z.object({ type: z.string().optional(), title: z.string().optional(), detail: z.string().optional() });

/**
 * 408 and 429 ask us to come back later; 401 and 403 mean our credentials or
 * the URL's auth are wrong, which an operator fixes: retrying (then the DLQ)
 * keeps those orders, where declining them would cancel every order until the
 * fix. Every other 4xx is the provider's final word on the request.
 */
const retryableClientStatuses = new Set([401, 403, 408, 429]);

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

  async function post(operation: string, path: string, idempotencyKey: string, body: unknown): Promise<ProviderResponse> {
    const { resilience } = options;
    if (!resilience) return postOnce(operation, path, idempotencyKey, body, AbortSignal.timeout(options.timeoutMs));
    const policy = resilience.current();
    const keyOf = policy.sendIdempotencyKeys || policy.settings.alwaysSendIdempotencyKeys ? () => idempotencyKey : () => `${idempotencyKey}~${randomUUID()}`;
    try {
      return await resilience.caller.call(({ signal }) => postOnce(operation, path, keyOf(), body, signal), {
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

  async function postOnce(operation: string, path: string, idempotencyKey: string, body: unknown, signal: AbortSignal | undefined): Promise<ProviderResponse> {
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        // A redirect would turn the POST into a GET somewhere else: a misconfigured URL, not an answer.
        redirect: 'error',
        ...(signal ? { signal } : {}),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new ProviderUnavailableError(`payment provider ${operation} failed: ${describe(error)}`, { cause: error });
    }
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

  return {
    async authorize({ orderId, amount, customerId }): Promise<Authorization> {
      const response = await post('authorization', '/v1/authorizations', idempotencyKeys.authorize(orderId), {
        orderId,
        amountCents: amount.amountCents,
        currency: amount.currency,
        customerId,
      });
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
  };
}
