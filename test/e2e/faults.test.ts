import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { clearAllFaults, getControls, getProviderFaults, healInfrastructure, pauseConsumer, resumeConsumer, setFunctionFaults, setProviderFaults } from '../../cli/faults';
import { connectClearingFaults, eventually, functionLogLines, netChargeCents } from './helpers/system';

/**
 * Run-time faults (docs/faults.md) switched on and off through cli/faults.ts
 * on a deployed system, without a redeploy. Needs a cloud deployed with
 * `duckstore:faultInjection=true` (the local deploy sets it). Every test
 * clears every fault in afterEach, whatever happened.
 */
const system = connectClearingFaults();

const customer = (label: string) => `e2e-faults-${label}-${randomUUID().slice(0, 8)}`;
/** Functions cache the control document for about 2 s (the simulator 1 s): a change is in force after this. */
const controlsCacheMs = 2_500;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The faults the local cloud's functions logged as injected for an order: proof that a fault fired, not merely that the order survived without it. */
const injectedFaults = (orderId: string) =>
  functionLogLines(system().deployment)
    .lines.filter((line) => line.message === 'fault injected' && JSON.stringify(line).includes(orderId))
    .map((line) => line as { fault: string; service: string });
const expectInjected = (orderId: string, fault: string, service: string) => {
  if (system().deployment.target.name === 'local') expect(injectedFaults(orderId)).toContainEqual(expect.objectContaining({ fault, service }));
};

describe('function faults', () => {
  it('absorbs a crash after the inventory commit: the redelivered OrderPlaced reserves nothing twice and the order confirms', async () => {
    const sku = 'DUCK-NINJA';
    const stockBefore = await system().available(sku);
    // Every OrderPlaced crashes the inventory consumer once, after its transaction has committed (the retry gets through).
    await setFunctionFaults(system().deployment, [{ kind: 'throw-after-commit', target: 'inventory', eventType: 'OrderPlaced', rate: 1, attempts: 1 }]);
    await pause(controlsCacheMs);

    const { orderId } = await system().api.placeOrder({ customerId: customer('crash'), items: [{ sku, quantity: 2 }] });
    const order = await system().api.waitForTerminal(orderId, { timeoutMs: 60_000, intervalMs: 500 });
    await clearAllFaults(system().deployment);

    expect(order.status).toBe('CONFIRMED');
    expectInjected(orderId, 'throw-after-commit', 'inventory');
    // The failed record was given a redelivery backoff of 1–2 s (functions/shared/redelivery.ts): it came back well
    // before the queue's visibility timeout, which is when it would have come back without it.
    const { Attributes } = await system().sqs('inventory').send(new GetQueueAttributesCommand({ QueueUrl: system().queueUrl('inventory', 'Consumer'), AttributeNames: ['VisibilityTimeout'] }));
    const sagaSeconds = (Date.parse(order.history.at(-1)!.at) - Date.parse(order.history[0]!.at)) / 1000;
    expect(sagaSeconds, `saga of ${sagaSeconds} s against a visibility timeout of ${Attributes?.VisibilityTimeout} s`).toBeLessThan(Number(Attributes?.VisibilityTimeout) / 2);
    const depths = await system().drained(150_000);
    expect(depths.filter((queue) => queue.isDeadLetterQueue && queue.visible > 0), 'non-empty DLQs').toEqual([]);
    expect(await system().row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'HELD' });
    expect(await system().available(sku)).toBe(stockBefore - 2);
    const ledger = await system().ledger(orderId);
    expect(ledger.filter((entry) => entry.status === 'AUTHORIZED')).toHaveLength(1);
  });

  it('returns a record that is too slow for its invocation to the queue before the timeout, instead of the worker being killed: the order confirms well within the visibility timeout', async () => {
    // 9.5 s of work on a 10 s function: the consumer answers at about 8.5 s (its end minus a 1.5 s margin) with the record
    // as a batch item failure, redelivered after its 1–2 s backoff; killed at 10 s, the batch would wait out the 60 s visibility.
    await setFunctionFaults(system().deployment, [{ kind: 'delay', target: 'inventory-consumer', eventType: 'OrderPlaced', rate: 1, attempts: 1, delayMs: 9_500 }]);
    await pause(controlsCacheMs);
    const logFrom = functionLogLines(system().deployment).end;

    const { orderId } = await system().api.placeOrder({ customerId: customer('slow'), items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });
    const order = await system().api.waitForTerminal(orderId, { timeoutMs: 60_000, intervalMs: 500 });
    await clearAllFaults(system().deployment);

    expect(order.status).toBe('CONFIRMED');
    expectInjected(orderId, 'delay', 'inventory');
    const sagaSeconds = (Date.parse(order.history.at(-1)!.at) - Date.parse(order.history[0]!.at)) / 1000;
    expect(sagaSeconds, 'saga seconds: under the 30 s deadline, far from the 60 s visibility timeout').toBeLessThan(25);
    if (system().deployment.target.name === 'local') {
      const lines = functionLogLines(system().deployment, logFrom).lines.filter((line) => JSON.stringify(line).includes(orderId));
      expect(lines.filter((line) => line.message === 'record returned to the queue unfinished' && line.service === 'inventory')).not.toHaveLength(0);
    }
  });

  it('recovers from a PutEvents partial failure in the orders relay: the failed entry alone is retried, the order confirms once', async () => {
    await setFunctionFaults(system().deployment, [{ kind: 'putevents-partial-failure', target: 'orders-relay', eventType: 'OrderPlaced', rate: 1, attempts: 1 }]);
    await pause(controlsCacheMs);

    const { orderId } = await system().api.placeOrder({ customerId: customer('partial'), items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });
    const order = await system().api.waitForTerminal(orderId, { timeoutMs: 60_000, intervalMs: 500 });
    await clearAllFaults(system().deployment);

    expect(order.status).toBe('CONFIRMED');
    expectInjected(orderId, 'putevents-partial-failure', 'orders-relay');
    expect(order.history.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(await system().row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'HELD' });
    expect(netChargeCents(await system().ledger(orderId))).toBe(order.total.amountCents);
    // Nothing left unpublished in the orders outbox for this order.
    expect(await system().rows('orders', (row) => row.kind === 'outbox' && row.correlationId === orderId)).toEqual([]);
  });
});

describe('infrastructure faults', () => {
  it('builds a backlog behind a paused consumer and drains it on resume', async () => {
    try {
      await pauseConsumer(system().deployment, 'notifications');
      const { orderId } = await system().api.placeOrder({ customerId: customer('backlog'), items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });
      expect((await system().api.waitForTerminal(orderId, { timeoutMs: 60_000, intervalMs: 500 })).status).toBe('CONFIRMED');
      const queueUrl = system().queueUrl('notifications', 'Consumer');
      const backlog = await eventually(async () => {
        const queue = (await system().queues()).find((candidate) => candidate.url === queueUrl);
        return queue && queue.visible > 0 ? queue.visible : undefined;
      }, 20_000);
      expect(backlog, 'messages waiting for the paused notifications consumer').toBeGreaterThan(0);

      await resumeConsumer(system().deployment, 'notifications');
      const notified = await eventually(async () => {
        const rows = await system().rows('notifications', (row) => row.orderId === orderId);
        return rows.length > 0 ? rows : undefined;
      }, 60_000);
      expect(notified).toHaveLength(1);
    } finally {
      await healInfrastructure(system().deployment);
    }
  });
});

describe('provider faults', () => {
  it('switches a provider outage on and off at run time: no charge while it lasts, then the saga ends with the money balanced', async () => {
    await setProviderFaults(system().deployment, { outage: true });
    expect(await getProviderFaults(system().deployment)).toEqual({ outage: true });
    await pause(controlsCacheMs);

    const { orderId } = await system().api.placeOrder({ customerId: customer('outage'), items: [{ sku: 'DUCK-PIRATE', quantity: 1 }] });
    // Inventory reserves, payments reaches the provider and is refused: the order waits.
    const reserved = await eventually(async () => {
      const row = await system().row('inventory', `RESERVATION#${orderId}`);
      return row?.status === 'HELD' ? row : undefined;
    }, 30_000);
    expect(reserved, 'inventory reservation').toBeDefined();
    await pause(4_000);
    expect((await system().api.getOrder(orderId)).status).toBe('PENDING');
    // A healthy saga confirms in about a second; held for seconds with nothing charged, it met the outage.
    expect(await system().ledger(orderId)).toEqual([]);

    await setProviderFaults(system().deployment, {});
    expect((await getControls(system().deployment, system().region('payments'))).provider).toBeUndefined();

    // The payments retry, or the saga deadline, ends it: either way the money balances.
    const { deadline } = await system().api.getOrder(orderId);
    const order = await system().api.waitForTerminal(orderId, { timeoutMs: Math.max(0, Date.parse(deadline) - Date.now()) + 90_000, intervalMs: 1_000 });
    await system().drained(150_000);
    const ledger = await system().ledger(orderId);
    if (order.status === 'CONFIRMED') {
      expect(ledger.filter((entry) => entry.status !== 'DECLINED')).toHaveLength(1);
      expect(netChargeCents(ledger)).toBe(order.total.amountCents);
    } else {
      expect(order.cancellationReason).toBe('SAGA_DEADLINE');
      expect(netChargeCents(ledger)).toBe(0);
      expect(await system().row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'RELEASED' });
    }
  });
});
