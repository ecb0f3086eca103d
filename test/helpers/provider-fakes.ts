import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { ledgerStorageKey, type LedgerRow } from '../../functions/payment-provider/domain/authorization';
import type { MerchantSecrets } from '../../functions/payment-provider/domain/merchant-auth';
import { InvalidCursorError, type Clock, type Ledger, type LedgerPage } from '../../functions/payment-provider/domain/ports';
import type { ProviderPorts } from '../../functions/payment-provider/domain/use-cases';

/**
 * A Ledger with the DynamoDB adapter's guarantees: one row per key (the
 * loser of a race is told so), a refund only from AUTHORIZED, copies out,
 * and pages that never overflow their limit.
 */
export class InMemoryLedger implements Ledger {
  readonly rows = new Map<string, LedgerRow>();
  /** Counts conditional writes refused, so a test can see that a race really happened. */
  refusedWrites = 0;

  async get(idempotencyKey: string): Promise<LedgerRow | undefined> {
    const row = this.rows.get(idempotencyKey);
    return row && structuredClone(row);
  }

  async findByAuthorizationId(authorizationId: string): Promise<LedgerRow | undefined> {
    const row = [...this.rows.values()].find((candidate) => candidate.authorizationId === authorizationId);
    return row && structuredClone(row);
  }

  async create(row: LedgerRow): Promise<boolean> {
    if (this.rows.has(row.idempotencyKey)) {
      this.refusedWrites++;
      return false;
    }
    this.rows.set(row.idempotencyKey, structuredClone(row));
    return true;
  }

  async forgetKey(row: LedgerRow): Promise<boolean> {
    if (this.rows.get(row.idempotencyKey)?.authorizationId !== row.authorizationId) {
      this.refusedWrites++;
      return false;
    }
    this.rows.delete(row.idempotencyKey);
    const forgotten: LedgerRow = { ...structuredClone(row), keyForgotten: true };
    this.rows.set(ledgerStorageKey(forgotten), forgotten);
    return true;
  }

  async markRefunded(row: LedgerRow): Promise<boolean> {
    const storageKey = ledgerStorageKey(row);
    if (this.rows.get(storageKey)?.status !== 'AUTHORIZED') {
      this.refusedWrites++;
      return false;
    }
    this.rows.set(storageKey, structuredClone(row));
    return true;
  }

  async listByOrder(orderId: string, page: { limit: number; cursor?: string }): Promise<LedgerPage> {
    const start = page.cursor === undefined ? 0 : Number(page.cursor);
    if (!Number.isSafeInteger(start) || start < 0) throw new InvalidCursorError();
    const matching = [...this.rows.values()].filter((row) => row.orderId === orderId);
    const rows = matching.slice(start, start + page.limit);
    const next = start + rows.length;
    return { rows: structuredClone(rows), ...(next < matching.length ? { cursor: String(next) } : {}) };
  }
}

export const providerClock = (at = '2026-11-20T10:00:01.000Z'): Clock => ({ now: () => new Date(at) });

export function providerPorts(overrides: Partial<ProviderPorts> = {}): ProviderPorts & { ledger: InMemoryLedger } {
  let sequence = 0;
  return {
    ledger: new InMemoryLedger(),
    clock: providerClock(),
    declineAboveCents: 100_000,
    newId: () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`,
    ...overrides,
  } as ProviderPorts & { ledger: InMemoryLedger };
}

/** A Lambda Function URL request (payload format 2.0), as the simulator receives it. */
export function functionUrlEvent(request: {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  query?: Record<string, string>;
  base64?: boolean;
}): APIGatewayProxyEventV2 {
  const text = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  const query = request.query ?? {};
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: request.headers ?? {},
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'simulator',
      domainName: 'simulator.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'simulator',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '20/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
    isBase64Encoded: request.base64 ?? false,
    ...(text === undefined ? {} : { body: request.base64 ? Buffer.from(text).toString('base64') : text }),
  };
}

/** The result as a client reads it: status, lower-cased headers and the parsed body. */
export function readResult(result: APIGatewayProxyResultV2): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  if (typeof result === 'string') throw new Error('the simulator always answers with a structured result');
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode ?? 200, headers, body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {} };
}

/** The merchant secret of the unit tests, and the header that presents it. */
export const testMerchantSecret = 'test-merchant-secret-0123456789abcdef';
export const merchantAuthorization = { authorization: `Bearer ${testMerchantSecret}` } as const;

/** The simulator's accepted secrets, fixed (the store behind them is tested with the in-memory parameter provider). */
export const fixedMerchantSecrets = (...secrets: string[]): MerchantSecrets => ({ accepted: async () => (secrets.length > 0 ? secrets : [testMerchantSecret]) });
