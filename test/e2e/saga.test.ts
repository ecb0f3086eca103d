import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { OrderCancelled, OrderPlaced } from '#contracts/events';
import { deadLetterAttributes } from '#shared/dead-letter';
import { eventBridgeBody, eventDetail } from '../helpers/events-envelope';
import { eventually, System } from './helpers/system';

/**
 * The saga end to end on a deployed system (both regions). Needs the local
 * cloud, which the suite's global setup starts and deploys
 * (`npm run test:e2e`); DUCKSTORE_TARGET=localstack|aws runs it elsewhere.
 */
let system: System;

beforeAll(async () => {
  system = await System.connect();
});

const uniqueCustomer = (label: string) => `e2e-${label}-${randomUUID().slice(0, 8)}`;

describe('happy path', () => {
  it('confirms an order across both regions and notifies the customer once', async () => {
    const before = await system.available('DUCK-PIRATE');
    const { orderId } = await system.api.placeOrder({ customerId: uniqueCustomer('happy'), items: [{ sku: 'DUCK-PIRATE', quantity: 2 }] });

    const order = await system.api.waitForTerminal(orderId);

    expect(order.status).toBe('CONFIRMED');
    expect(order.history.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED']);
    expect(await system.row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'HELD' });
    expect(await system.available('DUCK-PIRATE')).toBe(before - 2);
    // Payments runs in the other region in the default topology: the saga crossed regions both ways.
    expect(await system.row('payments', `PAYMENT#${orderId}`)).toMatchObject({ status: 'AUTHORIZED', amount: { amountCents: 2 * 899, currency: 'USD' } });
    const notifications = await eventually(async () => {
      const rows = await system.rows('notifications', (row) => row.orderId === orderId);
      return rows.some((row) => row.status === 'SENT') ? rows : undefined;
    });
    expect(notifications).toHaveLength(1);
    expect(notifications![0]).toMatchObject({ state: 'CONFIRMED', status: 'SENT' });
  });
});

describe('idempotent POST', () => {
  it('makes exactly one order from concurrent duplicates with one Idempotency-Key', async () => {
    const key = randomUUID();
    const request = { customerId: uniqueCustomer('dupes'), items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] };

    const responses = await Promise.all(Array.from({ length: 6 }, () => system.api.placeOrder(request, key)));

    expect(new Set(responses.map((response) => response.orderId)).size).toBe(1);
    expect(responses.filter((response) => !response.replayed)).toHaveLength(1);
    expect(await system.rows('orders', (row) => row.kind === 'order' && row.customerId === request.customerId)).toHaveLength(1);
    expect((await system.api.waitForTerminal(responses[0]!.orderId)).status).toBe('CONFIRMED');
  });
});

describe('compensation', () => {
  it('cancels an order for more stock than exists and holds nothing', async () => {
    const before = await system.available('DUCK-LIMITED');
    const { orderId } = await system.api.placeOrder({ customerId: uniqueCustomer('scarce'), items: [{ sku: 'DUCK-LIMITED', quantity: 100 }] });

    const order = await system.api.waitForTerminal(orderId);

    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    expect(await system.row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'REJECTED' });
    expect(await system.available('DUCK-LIMITED')).toBe(before);
    expect(await system.row('payments', `PAYMENT#${orderId}`)).toMatchObject({ status: 'CANCELLED' });
  });

  it('cancels an order the provider declines and gives its stock back', async () => {
    const before = await system.available('DUCK-GOLD');
    const { orderId } = await system.api.placeOrder({ customerId: uniqueCustomer('gold'), items: [{ sku: 'DUCK-GOLD', quantity: 1 }] });

    const order = await system.api.waitForTerminal(orderId);

    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    expect(await system.row('payments', `PAYMENT#${orderId}`)).toMatchObject({ status: 'DECLINED' });
    const released = await eventually(async () => {
      const reservation = await system.row('inventory', `RESERVATION#${orderId}`);
      return reservation?.status === 'RELEASED' ? reservation : undefined;
    });
    expect(released).toBeDefined();
    expect(await system.available('DUCK-GOLD')).toBe(before);
  });
});

describe('poison and duplicates', () => {
  it('dead-letters a message that breaks its contract, with the reason, while the rest of its batch is processed', async () => {
    const orderId = randomUUID();
    const poison = eventBridgeBody(OrderPlaced, { metadata: { eventId: 'not-a-uuid', type: 'OrderPlaced' }, data: { orderId } });
    const healthy = eventBridgeBody(OrderCancelled, eventDetail(OrderCancelled, { orderId, customerId: 'e2e-poison', reason: 'SAGA_DEADLINE' }));

    await system.sendToQueue('inventory', [poison, healthy]);

    const deadLettered = await system.takeFromDeadLetters('inventory', (message) => message.Body === poison);
    expect(deadLettered, 'poison message in the inventory DLQ').toBeDefined();
    const reason = deadLettered!.MessageAttributes?.[deadLetterAttributes.reason]?.StringValue ?? '';
    expect(reason).toMatch(/OrderPlaced v1 contract violated/);
    expect(reason).toContain('metadata.eventId');
    expect(deadLettered!.MessageAttributes?.[deadLetterAttributes.component]?.StringValue).toBe('inventory-consumer');
    // The healthy message of the same batch was processed: a cancellation before placement leaves a VOID reservation.
    expect(await eventually(() => system.row('inventory', `RESERVATION#${orderId}`))).toMatchObject({ status: 'VOID' });
  });

  it('gives a redelivered or replayed event a single effect', async () => {
    const { orderId } = await system.api.placeOrder({ customerId: uniqueCustomer('replay'), items: [{ sku: 'DUCK-NINJA', quantity: 1 }] });
    const order = await system.api.waitForTerminal(orderId);
    expect(order.status).toBe('CONFIRMED');
    const stock = await system.available('DUCK-NINJA');
    const replayed = eventDetail(OrderPlaced, { orderId, customerId: order.customerId, lines: order.lines, total: { amountCents: order.total.amountCents, currency: 'USD' }, deadline: order.deadline });

    // The same event twice (a redrive gives it a new SQS messageId), and a copy with a new eventId (a replay from elsewhere).
    await system.sendToQueue('inventory', [eventBridgeBody(OrderPlaced, replayed), eventBridgeBody(OrderPlaced, replayed)]);
    await system.sendToQueue('inventory', [eventBridgeBody(OrderPlaced, { ...replayed, metadata: { ...replayed.metadata, eventId: randomUUID() } })]);

    // Wait until the consumer has drained its queue, then nothing may have moved.
    await eventually(async () => ((await system.rows('inventory', (row) => row.pk === `RESERVATION#${orderId}`))[0]?.status === 'HELD' ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await system.available('DUCK-NINJA')).toBe(stock);
    expect(await system.row('inventory', `RESERVATION#${orderId}`)).toMatchObject({ status: 'HELD' });
    expect((await system.row('inventory', `RESERVATION#${orderId}`))?.history).toHaveLength(1);
    expect((await system.api.getOrder(orderId)).history).toHaveLength(2);
  });
});
