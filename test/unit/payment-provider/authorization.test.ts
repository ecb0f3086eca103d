import { describe, expect, it } from 'vitest';
import { decideAuthorization, decideRefund, isSameRequest, outcomeOf, type AuthorizationRequest, type LedgerRow } from '../../../functions/payment-provider/domain/authorization';

const now = new Date('2026-11-20T10:00:00.000Z');
const context = { idempotencyKey: 'key-1', authorizationId: 'auth_1', declineAboveCents: 100_000, now };
const request: AuthorizationRequest = { orderId: 'order-1', amountCents: 1798, currency: 'USD', customerId: 'customer-42' };

const withoutCustomer = <T extends { customerId?: string }>(value: T): T => {
  const copy = { ...value };
  delete copy.customerId;
  return copy;
};

const row = (overrides: Partial<LedgerRow> = {}): LedgerRow => ({
  kind: 'authorization',
  idempotencyKey: 'key-1',
  orderId: 'order-1',
  amountCents: 1798,
  currency: 'USD',
  customerId: 'customer-42',
  status: 'AUTHORIZED',
  authorizationId: 'auth_1',
  createdAt: '2026-11-20T09:00:00.000Z',
  ...overrides,
});

describe('authorizing with the simulated card', () => {
  it('authorizes an unseen key with a new row carrying the given authorization id', () => {
    const decision = decideAuthorization(request, undefined, context);

    expect(decision).toEqual({ kind: 'create', row: row({ createdAt: now.toISOString() }) });
  });

  it('authorizes an amount exactly at the limit', () => {
    const decision = decideAuthorization({ ...request, amountCents: 100_000 }, undefined, context);

    expect(decision.kind === 'create' && decision.row.status).toBe('AUTHORIZED');
  });

  it('declines an amount one cent above the limit as LIMIT_EXCEEDED', () => {
    const decision = decideAuthorization({ ...request, amountCents: 100_001 }, undefined, context);

    expect(decision).toMatchObject({ kind: 'create', row: { status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED', authorizationId: 'auth_1' } });
  });

  it('follows a configured limit', () => {
    const decision = decideAuthorization({ ...request, amountCents: 500 }, undefined, { ...context, declineAboveCents: 499 });

    expect(decision.kind === 'create' && decision.row.status).toBe('DECLINED');
  });

  it('omits the customer when the request has none', () => {
    const decision = decideAuthorization(withoutCustomer(request), undefined, context);

    expect(decision.kind === 'create' && 'customerId' in decision.row).toBe(false);
  });

  it('replays the stored row for a seen key with the same request, charging nothing new', () => {
    const stored = row({ authorizationId: 'auth_first' });

    const decision = decideAuthorization(request, stored, context);

    expect(decision).toEqual({ kind: 'replay', row: stored });
  });

  it.each([
    ['a different amount', { amountCents: 1799 }],
    ['a different order', { orderId: 'order-2' }],
    ['a different customer', { customerId: 'customer-43' }],
  ])('refuses a seen key reused with %s', (_case, change) => {
    const decision = decideAuthorization({ ...request, ...change }, row(), context);

    expect(decision).toEqual({ kind: 'key-reused', row: row() });
  });

  it('compares a missing customer with a missing customer as the same request', () => {
    expect(isSameRequest(withoutCustomer(row()), withoutCustomer(request))).toBe(true);
    expect(isSameRequest(row(), withoutCustomer(request))).toBe(false);
  });

  it('replays the first outcome of an authorization refunded since', () => {
    expect(outcomeOf(row({ status: 'REFUNDED' }))).toEqual({ status: 'AUTHORIZED', authorizationId: 'auth_1' });
  });

  it('replays a decline with its reason', () => {
    expect(outcomeOf(row({ status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED' }))).toEqual({ status: 'DECLINED', authorizationId: 'auth_1', reason: 'LIMIT_EXCEEDED' });
  });
});

describe('refunding with the simulated card', () => {
  const refundContext = { idempotencyKey: 'refund-1', now };

  it('refunds an authorization, recording when and under which key', () => {
    const decision = decideRefund(row(), refundContext);

    expect(decision).toEqual({ kind: 'refund', row: row({ status: 'REFUNDED', refundedAt: now.toISOString(), refundIdempotencyKey: 'refund-1' }) });
  });

  it('answers a second refund with the refunded row instead of refunding twice', () => {
    const refunded = row({ status: 'REFUNDED', refundedAt: '2026-11-20T09:30:00.000Z', refundIdempotencyKey: 'refund-0' });

    const decision = decideRefund(refunded, refundContext);

    expect(decision).toEqual({ kind: 'replay', row: refunded });
  });

  it('reports an unknown authorization', () => {
    expect(decideRefund(undefined, refundContext)).toEqual({ kind: 'unknown' });
  });

  it('refuses to refund a declined authorization, which charged nothing', () => {
    const declined = row({ status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED' });

    const decision = decideRefund(declined, refundContext);

    expect(decision).toMatchObject({ kind: 'not-refundable', row: declined });
  });
});
