import { describe, expect, it } from 'vitest';
import { ProviderUnavailableError } from '../../../functions/payments/domain/ports';
import { AuthorizationUncertainError, authorizePayment, cancelPayment, type PaymentPorts } from '../../../functions/payments/domain/use-cases';
import { FakePaymentProvider, InMemoryPaymentRepository, type Fault } from '../../helpers/payments-fakes';
import { inventoryReserved, orderCancelled } from '../../helpers/payments-events';

/*
 * Issue 13, bug 1: a redrive (or an archive replay) of InventoryReserved after
 * the order was cancelled must never send a new authorization, and a cancelled
 * order must never be left holding money. Each case is the sequence an
 * operator runs through: an outage parks the message, the deadline cancels
 * the order, then the runbook redrives the DLQ.
 */

const orderId = '0b7f2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const placedAt = Date.parse('2026-11-20T10:00:00.000Z');
const deadline = new Date(placedAt + 300_000).toISOString();

function harness(options: { faults?: (call: string) => Fault } = {}) {
  let now = placedAt + 5_000;
  const clock = { now: () => new Date(now) };
  const payments = new InMemoryPaymentRepository(clock);
  const provider = new FakePaymentProvider({ clock, ...(options.faults ? { faults: options.faults } : {}) });
  const ports: PaymentPorts = { payments, provider, clock };
  const reserved = inventoryReserved({ orderId, deadline });
  return {
    payments,
    provider,
    ports,
    reserved,
    at: (ms: number) => (now = placedAt + ms),
    /** The deadline's OrderCancelled reaching payments. */
    cancel: () => cancelPayment(orderCancelled({ orderId, reason: 'SAGA_DEADLINE' }), ports),
    authorizationsAfter: (cutoff: number) => [...provider.authorizations.values()].filter((authorization) => Date.parse(authorization.createdAt!) >= cutoff),
  };
}

/** Scripted faults per call, one per call in order, then none. */
const scripted = (faults: Record<string, Fault[]>) => (call: string): Fault => faults[call]?.shift() ?? 'none';

describe('recovery after a cancellation moves no money', () => {
  it('regression #13-1a: a redrive after the cancellation never authorizes when the breaker had refused to send the request', async () => {
    const h = harness();
    h.provider.refuseToSend = 'circuit open';
    for (let receive = 0; receive < 5; receive++) await expect(authorizePayment(h.reserved, h.ports)).rejects.toBeInstanceOf(ProviderUnavailableError);
    h.provider.refuseToSend = undefined;
    h.at(300_000);
    await h.cancel();

    h.at(400_000);
    const outcome = await authorizePayment(h.reserved, h.ports);

    expect(outcome).toMatch(/cancelled before any authorization request was sent/);
    expect(h.provider.callsOf(orderId, 'authorize')).toBe(0);
    expect(h.payments.attempts.has(orderId)).toBe(false);
    expect(h.provider.authorizations.size).toBe(0);
  });

  it('regression #13-1b: a redrive after a 5xx looks the order up and leaves no hold on a CANCELLED order, even when refunds fail', async () => {
    // The request reached the provider, which failed before acting (a 5xx): the attempt is noted, nothing was charged.
    const h = harness({ faults: scripted({ 'provider.authorize': ['before'], 'provider.refund': ['before', 'before', 'before'] }) });
    await expect(authorizePayment(h.reserved, h.ports)).rejects.toBeInstanceOf(ProviderUnavailableError);
    h.at(300_000);
    await h.cancel();

    h.at(400_000);
    await authorizePayment(h.reserved, h.ports).catch(() => 'the refund failed; SQS would redeliver');

    expect(h.provider.callsOf(orderId, 'authorize')).toBe(1);
    expect(h.provider.callsOf(orderId, 'find')).toBe(1);
    expect(h.payments.rows.get(orderId)?.status).toBe('CANCELLED');
    expect(h.provider.heldCents(orderId)).toBe(0);
  });

  it('regression #13-1c: a charge whose answer was lost is found by a look-up after the cancellation and refunded, never authorized again', async () => {
    const h = harness({ faults: scripted({ 'provider.authorize': ['after'] }) });
    await expect(authorizePayment(h.reserved, h.ports)).rejects.toBeInstanceOf(ProviderUnavailableError);
    h.at(300_000);
    await h.cancel();

    h.at(400_000);
    const outcome = await authorizePayment(h.reserved, h.ports);

    expect(outcome).toMatch(/^refunded/);
    expect(h.provider.callsOf(orderId, 'authorize')).toBe(1);
    expect(h.authorizationsAfter(placedAt + 300_000)).toEqual([]);
    expect(h.payments.rows.get(orderId)?.status).toBe('REFUNDED');
    expect(h.provider.heldCents(orderId)).toBe(0);
  });
});

describe('deadline-aware payments', () => {
  it('declines DEADLINE_PASSED without calling the provider once the deadline minus the margin has passed', async () => {
    const h = harness();
    h.at(295_000);

    const outcome = await authorizePayment(h.reserved, h.ports);

    expect(outcome).toBe('payment DECLINED (DEADLINE_PASSED)');
    expect(h.provider.calls).toEqual([]);
    expect(h.payments.rows.get(orderId)).toMatchObject({ status: 'DECLINED', declineReason: 'DEADLINE_PASSED' });
    expect(h.payments.eventsOf(orderId, 'PaymentDeclined').map((event) => event.detail.data)).toEqual([{ orderId, reason: 'DEADLINE_PASSED' }]);
  });

  it('still authorizes just before the deadline minus the margin, and bounds the request by it', async () => {
    const h = harness();
    h.at(289_000);

    expect(await authorizePayment(h.reserved, h.ports)).toBe('payment AUTHORIZED');
    expect(h.provider.callsOf(orderId, 'authorize')).toBe(1);
  });

  it('waits for the deadline rather than decline while an abandoned request may still land, then declines if the provider shows nothing', async () => {
    const h = harness({ faults: scripted({ 'provider.authorize': ['before'] }) });
    h.at(289_000);
    await expect(authorizePayment(h.reserved, h.ports)).rejects.toBeInstanceOf(ProviderUnavailableError);

    h.at(296_000);
    await expect(authorizePayment(h.reserved, h.ports)).rejects.toBeInstanceOf(AuthorizationUncertainError);
    h.at(300_000);
    const outcome = await authorizePayment(h.reserved, h.ports);

    expect(outcome).toBe('payment DECLINED (DEADLINE_PASSED)');
    expect(h.provider.callsOf(orderId, 'authorize')).toBe(1);
  });

  it('records a charge an abandoned request did make, found by the look-up, instead of declining over it', async () => {
    const h = harness({ faults: scripted({ 'provider.authorize': ['after'] }) });
    h.at(289_000);
    await expect(authorizePayment(h.reserved, h.ports)).rejects.toBeInstanceOf(ProviderUnavailableError);

    h.at(297_000);
    const outcome = await authorizePayment(h.reserved, h.ports);

    expect(outcome).toBe('payment AUTHORIZED');
    expect(h.provider.callsOf(orderId, 'authorize')).toBe(1);
  });

  it('applies no deadline to an event that carries none (written before events carried it)', async () => {
    const h = harness();
    h.at(10_000_000);

    expect(await authorizePayment(inventoryReserved({ orderId }), h.ports)).toBe('payment AUTHORIZED');
  });
});

describe('the provider forgets keys', () => {
  it('re-sends under the same key while the provider still remembers it (a replay, one call)', async () => {
    const h = harness({ faults: scripted({ 'provider.authorize': ['after'] }) });
    await expect(authorizePayment(h.reserved, h.ports)).rejects.toBeInstanceOf(ProviderUnavailableError);
    h.at(60_000);

    expect(await authorizePayment(h.reserved, h.ports)).toBe('payment AUTHORIZED');
    expect(h.provider.callsOf(orderId, 'find')).toBe(0);
    expect(h.provider.authorizations.size).toBe(1);
  });

  it('looks the order up instead of re-sending once the attempt is older than the key retention', async () => {
    const h = harness({ faults: scripted({ 'provider.authorize': ['after'] }) });
    const ports = { ...h.ports, policy: { providerKeyRetentionMs: 30_000 } };
    await expect(authorizePayment(h.reserved, ports)).rejects.toBeInstanceOf(ProviderUnavailableError);
    h.at(60_000);

    expect(await authorizePayment(h.reserved, ports)).toBe('payment AUTHORIZED');
    expect(h.provider.callsOf(orderId, 'find')).toBe(1);
    expect(h.provider.callsOf(orderId, 'authorize')).toBe(1);
  });
});
