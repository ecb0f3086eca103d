import { describe, expect, it } from 'vitest';
import { ConcurrentPaymentChangeError, ProviderRejectedError, ProviderUnavailableError } from '../../../functions/payments/domain/ports';
import { authorizePayment, cancelPayment, type PaymentPorts } from '../../../functions/payments/domain/use-cases';
import { FakePaymentProvider, fixedClock, InMemoryPaymentRepository, type Fault } from '../../helpers/payments-fakes';
import { inventoryReserved, orderCancelled } from '../../helpers/payments-events';

const orderId = '0b7f2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';

/** Faults in the order given, one per matching call, then none. */
function faultsFor(call: string, faults: Fault[]) {
  return (candidate: string): Fault => (candidate === call ? (faults.shift() ?? 'none') : 'none');
}

function setup(options: { provider?: FakePaymentProvider; payments?: InMemoryPaymentRepository } = {}) {
  const payments = options.payments ?? new InMemoryPaymentRepository();
  const provider = options.provider ?? new FakePaymentProvider();
  const ports: PaymentPorts = { payments, provider, clock: fixedClock() };
  return { payments, provider, ports };
}

describe('authorizePayment', () => {
  it('authorizes a reserved order and emits PaymentAuthorized in the same write as the row', async () => {
    const { payments, provider, ports } = setup();

    const outcome = await authorizePayment(inventoryReserved({ orderId, amountCents: 1798 }), ports);

    expect(outcome).toBe('payment AUTHORIZED');
    expect(payments.rows.get(orderId)).toMatchObject({ status: 'AUTHORIZED', authorizationId: 'auth_1', amount: { amountCents: 1798, currency: 'USD' } });
    expect(payments.eventsOf(orderId).map((event) => [event.detailType, event.detail.data])).toEqual([
      ['PaymentAuthorized', { orderId, authorizationId: 'auth_1', amount: { amountCents: 1798, currency: 'USD' } }],
    ]);
    expect(provider.heldCents(orderId)).toBe(1798);
  });

  it('declines an order the provider declines and emits PaymentDeclined with its reason', async () => {
    const { payments, ports } = setup();

    await authorizePayment(inventoryReserved({ orderId, amountCents: 250_000 }), ports);

    expect(payments.rows.get(orderId)).toMatchObject({ status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED' });
    expect(payments.eventsOf(orderId, 'PaymentDeclined').map((event) => event.detail.data)).toEqual([{ orderId, reason: 'LIMIT_EXCEEDED' }]);
  });

  it('carries the causing event in the metadata of what it emits', async () => {
    const { payments, ports } = setup();
    const event = inventoryReserved({ orderId });

    await authorizePayment(event, ports);

    expect(payments.eventsOf(orderId)[0]?.detail.metadata).toMatchObject({ correlationId: orderId, causationId: event.metadata.eventId, type: 'PaymentAuthorized' });
  });

  it('declines with the provider reason when the provider refuses the request for good, so the saga compensates', async () => {
    const { payments, provider, ports } = setup();
    provider.rejectWith = new ProviderRejectedError('bad amount', { reason: 'invalid-request', status: 400, chargeMayExist: false });

    await authorizePayment(inventoryReserved({ orderId }), ports);

    expect(payments.rows.get(orderId)).toMatchObject({ status: 'DECLINED', declineReason: 'PROVIDER_REJECTED: invalid-request' });
    expect(payments.eventsOf(orderId, 'PaymentDeclined')).toHaveLength(1);
  });

  it('fails the message without deciding when the provider says money may already be held under the key', async () => {
    const { payments, provider, ports } = setup();
    provider.rejectWith = new ProviderRejectedError('key reused', { reason: 'idempotency-key-reused', status: 409, chargeMayExist: true });

    await expect(authorizePayment(inventoryReserved({ orderId }), ports)).rejects.toThrow(ProviderRejectedError);
    expect(payments.rows.has(orderId)).toBe(false);
    expect(payments.published).toEqual([]);
  });

  it('fails the message and writes no payment while the provider is unavailable, so SQS retries it', async () => {
    const { payments, ports } = setup({ provider: new FakePaymentProvider({ faults: faultsFor('provider.authorize', ['before']) }) });

    await expect(authorizePayment(inventoryReserved({ orderId }), ports)).rejects.toThrow(ProviderUnavailableError);
    expect(payments.rows.has(orderId)).toBe(false);
    expect(payments.attempts.has(orderId)).toBe(true);
  });

  it('charges once when a retry follows an answer lost after the provider authorized', async () => {
    const provider = new FakePaymentProvider({ faults: faultsFor('provider.authorize', ['after']) });
    const { payments, ports } = setup({ provider });
    const event = inventoryReserved({ orderId });
    await expect(authorizePayment(event, ports)).rejects.toThrow(ProviderUnavailableError);

    await authorizePayment(event, ports);

    expect(provider.authorizations.size).toBe(1);
    expect(payments.rows.get(orderId)).toMatchObject({ status: 'AUTHORIZED', authorizationId: 'auth_1' });
  });

  it('ignores a duplicate delivery without asking the provider again', async () => {
    const { payments, provider, ports } = setup();
    await authorizePayment(inventoryReserved({ orderId }), ports);

    const outcome = await authorizePayment(inventoryReserved({ orderId }), ports);

    expect(outcome).toBe('ignored InventoryReserved: payment is already AUTHORIZED');
    expect(provider.callsOf(orderId, 'authorize')).toBe(1);
    expect(payments.published).toHaveLength(1);
  });

  it('never charges an order that was cancelled before any authorization was attempted', async () => {
    const { payments, provider, ports } = setup();
    await cancelPayment(orderCancelled({ orderId }), ports);

    const outcome = await authorizePayment(inventoryReserved({ orderId }), ports);

    expect(outcome).toMatch(/^ignored InventoryReserved: the order was cancelled before any authorization/);
    expect(provider.calls).toEqual([]);
    expect(payments.rows.get(orderId)?.status).toBe('CANCELLED');
  });

  it('refunds an authorization obtained while OrderCancelled won the race for the row', async () => {
    const { payments, provider, ports } = setup();
    provider.beforeNextAnswer = async () => {
      await cancelPayment(orderCancelled({ orderId }), ports);
    };

    const outcome = await authorizePayment(inventoryReserved({ orderId, amountCents: 1798 }), ports);

    expect(outcome).toBe('refunded: the order was cancelled while it was being authorized');
    expect(provider.heldCents(orderId)).toBe(0);
    expect(provider.authorizations.get(orderId)?.status).toBe('REFUNDED');
    expect(payments.rows.get(orderId)).toMatchObject({ status: 'REFUNDED', authorizationId: 'auth_1', amount: { amountCents: 1798, currency: 'USD' } });
    expect(payments.eventsOf(orderId).map((event) => event.detailType)).toEqual(['PaymentRefunded']);
  });

  it('does not refund when the provider declined while the order was being cancelled', async () => {
    const { payments, provider, ports } = setup();
    provider.beforeNextAnswer = async () => {
      await cancelPayment(orderCancelled({ orderId }), ports);
    };

    await authorizePayment(inventoryReserved({ orderId, amountCents: 250_000 }), ports);

    expect(provider.callsOf(orderId, 'refund')).toBe(0);
    expect(payments.rows.get(orderId)?.status).toBe('CANCELLED');
    expect(payments.published).toEqual([]);
  });

  it('ignores its authorization when a concurrent duplicate already recorded the same one', async () => {
    const { payments, provider, ports } = setup();
    provider.beforeNextAnswer = async () => {
      await authorizePayment(inventoryReserved({ orderId }), ports);
    };

    const outcome = await authorizePayment(inventoryReserved({ orderId }), ports);

    expect(outcome).toBe('ignored InventoryReserved: a concurrent delivery already recorded the payment as AUTHORIZED');
    expect(provider.authorizations.size).toBe(1);
    expect(payments.eventsOf(orderId, 'PaymentAuthorized')).toHaveLength(1);
  });

  it('refunds a charge whose answer was lost when the order is found cancelled on the retry', async () => {
    const provider = new FakePaymentProvider({ faults: faultsFor('provider.authorize', ['after']) });
    const { payments, ports } = setup({ provider });
    const event = inventoryReserved({ orderId });
    await expect(authorizePayment(event, ports)).rejects.toThrow(ProviderUnavailableError);
    await cancelPayment(orderCancelled({ orderId }), ports);

    const outcome = await authorizePayment(event, ports);

    expect(outcome).toBe('refunded: the order was cancelled while it was being authorized');
    expect(provider.heldCents(orderId)).toBe(0);
    expect(payments.rows.get(orderId)?.status).toBe('REFUNDED');
    expect(payments.eventsOf(orderId, 'PaymentRefunded')).toHaveLength(1);
  });

  it('writes nothing new when a retry follows a row committed just before the function died', async () => {
    const payments = new InMemoryPaymentRepository(fixedClock(), faultsFor('payments.create', ['after']));
    const { provider, ports } = setup({ payments });
    const event = inventoryReserved({ orderId });
    await expect(authorizePayment(event, ports)).rejects.toThrow();

    const outcome = await authorizePayment(event, ports);

    expect(outcome).toBe('ignored InventoryReserved: payment is already AUTHORIZED');
    expect(provider.authorizations.size).toBe(1);
    expect(payments.published).toHaveLength(1);
  });
});

describe('cancelPayment', () => {
  it('refunds an authorized payment and emits PaymentRefunded with its authorization and amount', async () => {
    const { payments, provider, ports } = setup();
    await authorizePayment(inventoryReserved({ orderId, amountCents: 1798 }), ports);

    const outcome = await cancelPayment(orderCancelled({ orderId }), ports);

    expect(outcome).toBe('refunded');
    expect(provider.heldCents(orderId)).toBe(0);
    expect(payments.rows.get(orderId)).toMatchObject({ status: 'REFUNDED', history: [{ status: 'AUTHORIZED' }, { status: 'REFUNDED', reason: 'OrderCancelled' }] });
    expect(payments.eventsOf(orderId, 'PaymentRefunded').map((event) => event.detail.data)).toEqual([
      { orderId, authorizationId: 'auth_1', amount: { amountCents: 1798, currency: 'USD' } },
    ]);
  });

  it('records a cancellation without asking the provider when nothing was authorized yet', async () => {
    const { payments, provider, ports } = setup();

    const outcome = await cancelPayment(orderCancelled({ orderId }), ports);

    expect(outcome).toBe('recorded: cancelled before any authorization');
    expect(payments.rows.get(orderId)?.status).toBe('CANCELLED');
    expect(provider.calls).toEqual([]);
    expect(payments.published).toEqual([]);
  });

  it.each([
    ['DECLINED', 250_000],
    ['REFUNDED', 1798],
  ])('ignores a cancellation of a %s payment', async (status, amountCents) => {
    const { provider, ports } = setup();
    await authorizePayment(inventoryReserved({ orderId, amountCents }), ports);
    if (status === 'REFUNDED') await cancelPayment(orderCancelled({ orderId }), ports);

    const outcome = await cancelPayment(orderCancelled({ orderId }), ports);

    expect(outcome).toBe(`ignored OrderCancelled: payment is already ${status}`);
    expect(provider.callsOf(orderId, 'refund')).toBe(status === 'REFUNDED' ? 1 : 0);
  });

  it('refunds after all when the first refund answer was lost and the message is retried', async () => {
    const provider = new FakePaymentProvider({ faults: faultsFor('provider.refund', ['after']) });
    const { payments, ports } = setup({ provider });
    await authorizePayment(inventoryReserved({ orderId }), ports);
    const event = orderCancelled({ orderId });
    await expect(cancelPayment(event, ports)).rejects.toThrow(ProviderUnavailableError);

    await cancelPayment(event, ports);

    expect(payments.rows.get(orderId)?.status).toBe('REFUNDED');
    expect(payments.eventsOf(orderId, 'PaymentRefunded')).toHaveLength(1);
  });

  it('refunds the authorization that beat its cancellation row, deciding again on the fresh state', async () => {
    const { payments, provider, ports } = setup();
    payments.beforeNextCreate = async () => {
      await authorizePayment(inventoryReserved({ orderId }), ports);
    };

    const outcome = await cancelPayment(orderCancelled({ orderId }), ports);

    expect(outcome).toBe('refunded');
    expect(provider.heldCents(orderId)).toBe(0);
    expect(payments.rows.get(orderId)?.status).toBe('REFUNDED');
  });

  it('fails the message, keeping the payment AUTHORIZED for the DLQ and its operator, when the provider refuses the refund', async () => {
    const { payments, provider, ports } = setup();
    await authorizePayment(inventoryReserved({ orderId }), ports);
    provider.rejectWith = new ProviderRejectedError('gone', { reason: 'authorization-not-found', status: 404, chargeMayExist: false });

    await expect(cancelPayment(orderCancelled({ orderId }), ports)).rejects.toThrow(ProviderRejectedError);
    expect(payments.rows.get(orderId)?.status).toBe('AUTHORIZED');
  });

  it('asks for a redelivery when the payment keeps moving under it', async () => {
    const { payments, ports } = setup();
    await authorizePayment(inventoryReserved({ orderId }), ports);
    payments.transition = async () => false;

    await expect(cancelPayment(orderCancelled({ orderId }), ports)).rejects.toThrow(ConcurrentPaymentChangeError);
  });
});
