import { describe, expect, it } from 'vitest';
import type { AuthorizationRequest } from '../../../functions/payment-provider/domain/authorization';
import {
  authorize,
  getAuthorization,
  IdempotencyKeyReusedError,
  listLedger,
  NotRefundableError,
  refund,
  UnknownAuthorizationError,
} from '../../../functions/payment-provider/domain/use-cases';
import { providerPorts } from '../../helpers/provider-fakes';

const request: AuthorizationRequest = { orderId: 'order-1', amountCents: 1798, currency: 'USD' };

describe('authorize', () => {
  it('writes one ledger row for a new key and returns it', async () => {
    const ports = providerPorts();

    const result = await authorize(request, 'key-1', ports);

    expect(result).toMatchObject({ replayed: false, row: { status: 'AUTHORIZED', authorizationId: 'auth_00000000-0000-4000-8000-000000000001' } });
    expect([...ports.ledger.rows.values()]).toEqual([result.row]);
  });

  it('replays the first answer for a retry with the same key and body, charging once', async () => {
    const ports = providerPorts();
    const first = await authorize(request, 'key-1', ports);

    const retry = await authorize(request, 'key-1', ports);

    expect(retry).toEqual({ replayed: true, row: first.row });
    expect(ports.ledger.rows.size).toBe(1);
  });

  it('forgets a key after its retention, as a real provider does: the same request is then a new charge, and the first stays on the books', async () => {
    let now = new Date('2026-11-20T10:00:00.000Z');
    const ports = providerPorts({ clock: { now: () => now }, keyRetentionSeconds: 3600 });
    const first = await authorize(request, 'key-1', ports);
    await refund(first.row.authorizationId, 'refund-key-1', ports);

    now = new Date('2026-11-20T11:00:00.000Z');
    const after = await authorize(request, 'key-1', ports);

    expect(after.replayed).toBe(false);
    expect(after.row.authorizationId).not.toBe(first.row.authorizationId);
    expect((await listLedger('order-1', { limit: 10 }, ports)).rows.map((row) => [row.status, row.keyForgotten ?? false])).toEqual([
      ['REFUNDED', true],
      ['AUTHORIZED', false],
    ]);
    expect((await getAuthorization(first.row.authorizationId, ports)).status).toBe('REFUNDED');
  });

  it('still replays a key within its retention', async () => {
    let now = new Date('2026-11-20T10:00:00.000Z');
    const ports = providerPorts({ clock: { now: () => now }, keyRetentionSeconds: 3600 });
    const first = await authorize(request, 'key-1', ports);

    now = new Date('2026-11-20T10:59:59.000Z');

    expect(await authorize(request, 'key-1', ports)).toEqual({ replayed: true, row: first.row });
  });

  it('refuses the same key with a different amount', async () => {
    const ports = providerPorts();
    await authorize(request, 'key-1', ports);

    await expect(authorize({ ...request, amountCents: 999 }, 'key-1', ports)).rejects.toThrow(IdempotencyKeyReusedError);
    expect(ports.ledger.rows.size).toBe(1);
  });

  it('keeps one row when two requests with one key race, the loser answering with the winner', async () => {
    const ports = providerPorts();

    const [a, b] = await Promise.all([authorize(request, 'key-1', ports), authorize(request, 'key-1', ports)]);

    expect(ports.ledger.refusedWrites).toBe(1);
    expect(ports.ledger.rows.size).toBe(1);
    expect(a.row.authorizationId).toBe(b.row.authorizationId);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
  });

  it('refuses the loser of a race whose body differs from the winner', async () => {
    const ports = providerPorts();

    const results = await Promise.allSettled([authorize(request, 'key-1', ports), authorize({ ...request, amountCents: 5 }, 'key-1', ports)]);

    expect(results[0]).toMatchObject({ status: 'fulfilled' });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(IdempotencyKeyReusedError) });
  });

  it('declines above the configured limit', async () => {
    const ports = providerPorts({ declineAboveCents: 1000 });

    const { row } = await authorize(request, 'key-1', ports);

    expect(row).toMatchObject({ status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED' });
  });
});

describe('refund', () => {
  it('refunds an authorization and answers a second refund the same way', async () => {
    const ports = providerPorts();
    const { row } = await authorize(request, 'key-1', ports);

    const first = await refund(row.authorizationId, 'refund-1', ports);
    const second = await refund(row.authorizationId, 'refund-1', ports);

    expect(first).toMatchObject({ replayed: false, row: { status: 'REFUNDED', refundedAt: '2026-11-20T10:00:01.000Z' } });
    expect(second).toEqual({ replayed: true, row: first.row });
  });

  it('refunds once when two refunds race', async () => {
    const ports = providerPorts();
    const { row } = await authorize(request, 'key-1', ports);

    const results = await Promise.all([refund(row.authorizationId, 'refund-1', ports), refund(row.authorizationId, 'refund-1', ports)]);

    expect(results.map((result) => result.replayed).sort()).toEqual([false, true]);
    expect(ports.ledger.rows.get('key-1')?.status).toBe('REFUNDED');
  });

  it('reports an unknown authorization', async () => {
    await expect(refund('auth_nope', 'refund-1', providerPorts())).rejects.toThrow(UnknownAuthorizationError);
  });

  it('refuses to refund a declined authorization and leaves it declined', async () => {
    const ports = providerPorts({ declineAboveCents: 0 });
    const { row } = await authorize(request, 'key-1', ports);

    await expect(refund(row.authorizationId, 'refund-1', ports)).rejects.toThrow(NotRefundableError);
    expect(ports.ledger.rows.get('key-1')?.status).toBe('DECLINED');
  });
});

describe('reading the ledger', () => {
  it('finds an authorization by its id', async () => {
    const ports = providerPorts();
    const { row } = await authorize(request, 'key-1', ports);

    await expect(getAuthorization(row.authorizationId, ports)).resolves.toEqual(row);
    await expect(getAuthorization('auth_nope', ports)).rejects.toThrow(UnknownAuthorizationError);
  });

  it("lists only the order's rows", async () => {
    const ports = providerPorts();
    await authorize(request, 'key-1', ports);
    await authorize({ ...request, orderId: 'order-2' }, 'key-2', ports);

    const page = await listLedger('order-1', { limit: 10 }, ports);

    expect(page.rows.map((row) => row.idempotencyKey)).toEqual(['key-1']);
    expect(page.cursor).toBeUndefined();
  });
});
