import { describe, expect, it } from 'vitest';
import { decide, reconcile, refunded, settle, type Payment } from '../../../functions/payments/domain/payment';
import { inventoryReserved, orderCancelled } from '../../helpers/payments-events';

const orderId = '0b7f2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const now = new Date('2026-11-20T10:00:05.000Z');
const amount = { amountCents: 1798, currency: 'USD' as const };
const history = [{ status: 'AUTHORIZED' as const, at: '2026-11-20T10:00:00.000Z', reason: 'InventoryReserved', eventId: '11111111-1111-4111-8111-111111111111' }];

const payments: Record<Payment['status'], Payment> = {
  AUTHORIZED: { orderId, status: 'AUTHORIZED', authorizationId: 'auth_1', amount, updatedAt: '2026-11-20T10:00:00.000Z', history },
  DECLINED: { orderId, status: 'DECLINED', amount, declineReason: 'LIMIT_EXCEEDED', updatedAt: '2026-11-20T10:00:00.000Z', history },
  REFUNDED: { orderId, status: 'REFUNDED', authorizationId: 'auth_1', amount, updatedAt: '2026-11-20T10:00:00.000Z', history },
  CANCELLED: { orderId, status: 'CANCELLED', updatedAt: '2026-11-20T10:00:00.000Z', history },
};

describe('deciding on InventoryReserved', () => {
  it('authorizes an order that has no payment yet', () => {
    expect(decide(undefined, inventoryReserved({ orderId }), now)).toEqual({ kind: 'authorize' });
  });

  it.each(['AUTHORIZED', 'DECLINED', 'REFUNDED'] as const)('ignores a duplicate or late event for a %s payment', (status) => {
    expect(decide(payments[status], inventoryReserved({ orderId }), now)).toEqual({ kind: 'ignore', why: `payment is already ${status}` });
  });

  it('does not authorize a cancelled order, but asks whether an earlier attempt may have charged it', () => {
    expect(decide(payments.CANCELLED, inventoryReserved({ orderId }), now)).toEqual({ kind: 'check-earlier-attempt', payment: payments.CANCELLED });
  });
});

describe('deciding on OrderCancelled', () => {
  it('records a cancellation for an order that has no payment yet, so it is never charged later', () => {
    const event = orderCancelled({ orderId });

    const decision = decide(undefined, event, now);

    expect(decision).toEqual({
      kind: 'record-cancellation',
      payment: { orderId, status: 'CANCELLED', updatedAt: now.toISOString(), history: [{ status: 'CANCELLED', at: now.toISOString(), reason: 'OrderCancelled', eventId: event.metadata.eventId }] },
    });
  });

  it('refunds an authorized payment with its authorization id and amount', () => {
    expect(decide(payments.AUTHORIZED, orderCancelled({ orderId }), now)).toEqual({ kind: 'refund', authorizationId: 'auth_1', amount });
  });

  it.each(['DECLINED', 'REFUNDED', 'CANCELLED'] as const)('ignores a cancellation of a %s payment: nothing is held', (status) => {
    expect(decide(payments[status], orderCancelled({ orderId }), now)).toEqual({ kind: 'ignore', why: `payment is already ${status}` });
  });
});

describe('settling the provider answer', () => {
  it('writes an AUTHORIZED payment and PaymentAuthorized for an authorization', () => {
    const event = inventoryReserved({ orderId, amountCents: 1798 });

    const { payment, events } = settle(event, { outcome: 'AUTHORIZED', authorizationId: 'auth_9' }, now);

    expect(payment).toEqual({
      orderId,
      status: 'AUTHORIZED',
      authorizationId: 'auth_9',
      amount,
      updatedAt: now.toISOString(),
      history: [{ status: 'AUTHORIZED', at: now.toISOString(), reason: 'InventoryReserved', eventId: event.metadata.eventId }],
    });
    expect(events.map((pending) => [pending.contract.detailType, pending.data])).toEqual([['PaymentAuthorized', { orderId, authorizationId: 'auth_9', amount }]]);
  });

  it('writes a DECLINED payment and PaymentDeclined with the reason for a decline', () => {
    const { payment, events } = settle(inventoryReserved({ orderId }), { outcome: 'DECLINED', reason: 'LIMIT_EXCEEDED' }, now);

    expect(payment).toMatchObject({ status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED', amount, history: [{ status: 'DECLINED', reason: 'LIMIT_EXCEEDED' }] });
    expect(events.map((pending) => [pending.contract.detailType, pending.data])).toEqual([['PaymentDeclined', { orderId, reason: 'LIMIT_EXCEEDED' }]]);
  });
});

describe('reconciling an authorization the row could not take', () => {
  it('refunds it when the order was cancelled meanwhile', () => {
    expect(reconcile(payments.CANCELLED, { outcome: 'AUTHORIZED', authorizationId: 'auth_2' })).toEqual({ kind: 'refund', authorizationId: 'auth_2' });
  });

  it('ignores a decline for a cancelled order: nothing was charged', () => {
    expect(reconcile(payments.CANCELLED, { outcome: 'DECLINED', reason: 'LIMIT_EXCEEDED' }).kind).toBe('ignore');
  });

  it.each(['AUTHORIZED', 'DECLINED', 'REFUNDED'] as const)('ignores it when a concurrent delivery already recorded the payment as %s', (status) => {
    expect(reconcile(payments[status], { outcome: 'AUTHORIZED', authorizationId: 'auth_1' }).kind).toBe('ignore');
  });
});

describe('refunding', () => {
  it('moves the payment to REFUNDED with the authorization and amount, and emits PaymentRefunded', () => {
    const { change, events } = refunded(orderId, { from: 'CANCELLED', authorizationId: 'auth_2', amount }, { eventId: 'e-1', reason: 'OrderCancelled' }, now);

    expect(change).toEqual({ from: 'CANCELLED', to: 'REFUNDED', authorizationId: 'auth_2', amount, entry: { status: 'REFUNDED', at: now.toISOString(), reason: 'OrderCancelled', eventId: 'e-1' } });
    expect(events.map((pending) => [pending.contract.detailType, pending.data])).toEqual([['PaymentRefunded', { orderId, authorizationId: 'auth_2', amount }]]);
  });
});
