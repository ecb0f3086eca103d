import { describe, expect, it } from 'vitest';
import type { ProviderFaults } from '#contracts/controls';
import { maxLatencyMs, planProviderFaults, timeoutHangMs } from '../../../functions/payment-provider/domain/faults';
import { withProviderFaults } from '../../../functions/payment-provider/handlers/faults';
import { handleProviderRequest } from '../../../functions/payment-provider/handlers/http';
import { functionUrlEvent, providerPorts, readResult } from '../../helpers/provider-fakes';

/** A random source that answers the given rolls in turn, then 0.99. */
const rolls = (...values: number[]) => () => values.shift() ?? 0.99;

const order = { orderId: 'order-1', amountCents: 1798, currency: 'USD', customerId: 'customer-42' };
const authorization = functionUrlEvent({ method: 'POST', path: '/v1/authorizations', headers: { 'content-type': 'application/json', 'idempotency-key': 'order-1' }, body: order });

/** Runs one request through the simulator with the given faults, recording the waits instead of sleeping. */
async function request(faults: ProviderFaults, random: () => number, event = authorization) {
  const ports = providerPorts({ faults: async () => faults });
  const waits: number[] = [];
  const result = readResult(await withProviderFaults(event, ports, handleProviderRequest, { random, sleep: async (ms) => void waits.push(ms) }));
  return { result, waits, ledger: [...ports.ledger.rows.values()] };
}

describe('planProviderFaults', () => {
  it('plans nothing without faults', () => {
    expect(planProviderFaults({}, () => 0)).toEqual({ outage: false, latencyMs: 0, error: false, timeout: false, decline: false });
  });

  it('rolls each rate on its own', () => {
    expect(planProviderFaults({ errorRate: 0.5, timeoutRate: 0.5, declineRate: 0.5 }, rolls(0.6, 0.4, 0.7))).toMatchObject({ error: false, timeout: true, decline: false });
  });

  it('does not time out or decline a request that errors: it was never processed', () => {
    expect(planProviderFaults({ errorRate: 1, timeoutRate: 1, declineRate: 1 }, () => 0)).toMatchObject({ error: true, timeout: false, decline: false });
  });

  it('caps latency below the simulator function timeout, so the request still ends in an answer', () => {
    expect(planProviderFaults({ latencyMs: 60_000 }).latencyMs).toBe(maxLatencyMs);
  });
});

describe('withProviderFaults', () => {
  it('answers 503 during an outage and charges nothing', async () => {
    const { result, ledger } = await request({ outage: true }, () => 0);

    expect(result.status).toBe(503);
    expect(result.body.type).toMatch(/\/unavailable$/);
    expect(ledger).toEqual([]);
  });

  it('answers 500 before processing on an error, so a retry with the same key charges once', async () => {
    const { result, ledger } = await request({ errorRate: 1 }, () => 0);

    expect(result.status).toBe(500);
    expect(ledger).toEqual([]);
  });

  it('adds the latency before processing', async () => {
    const { result, waits } = await request({ latencyMs: 1_500 }, () => 0.99);

    expect(result.status).toBe(201);
    expect(waits).toEqual([1_500]);
  });

  it('on a timeout charges, then answers only after hanging longer than the merchant waits', async () => {
    const { result, waits, ledger } = await request({ timeoutRate: 1 }, () => 0);

    expect(result.status).toBe(201);
    expect(waits).toEqual([timeoutHangMs]);
    expect(ledger.map((row) => row.status)).toEqual(['AUTHORIZED']);
  });

  it('declines an authorization whatever its amount, recording the decline so a retry replays it', async () => {
    const { result, ledger } = await request({ declineRate: 1 }, () => 0);

    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'DECLINED', reason: 'DO_NOT_HONOR' });
    expect(ledger.map((row) => [row.status, row.declineReason])).toEqual([['DECLINED', 'DO_NOT_HONOR']]);
  });

  it('leaves look-ups alone, so an audit can read the ledger during an outage', async () => {
    const lookUp = functionUrlEvent({ method: 'GET', path: '/v1/ledger', query: { orderId: 'order-1' } });

    const { result } = await request({ outage: true }, () => 0, lookUp);

    expect(result.status).toBe(200);
  });

  it('does nothing without fault settings', async () => {
    const ports = providerPorts();

    const result = readResult(await withProviderFaults(authorization, ports, handleProviderRequest, { random: () => 0 }));

    expect(result.status).toBe(201);
  });
});
