import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { businessMetrics } from '#contracts/business-metrics';
import { recordBusinessMetric } from '#shared/metrics';
import { dynamoDbOrderRepository } from '../../../functions/orders/adapters/dynamodb-order-repository';
import { newOrder } from '../../../functions/orders/domain/order';
import { scriptedDocumentClient, throws } from '../../helpers/scripted-dynamodb';

// As the CDK construct sets it for every function; read when the metrics singleton is created, at import.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'DuckStore';
});

/** The EMF lines Powertools Metrics printed (it writes them to stdout, one JSON object per line). */
type EmfLine = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } };
let stdout: MockInstance<typeof process.stdout.write>;
const emitted = (): EmfLine[] =>
  stdout.mock.calls.map(([chunk]) => String(chunk)).filter((text) => text.includes('"_aws"')).map((text) => JSON.parse(text) as EmfLine);
const metricNames = (line: EmfLine) => line._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((metric) => metric.Name));

beforeEach(() => {
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stdout.mockRestore();
});

const orderId = 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2';
const environment = { region: 'us-east-1', now: () => new Date('2025-03-14T09:26:53.589Z') };
const cause = { correlationId: orderId, causationId: 'checkout-0001' };
const placed = () =>
  newOrder(
    { customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-PIRATE', quantity: 2 }] },
    { orderId, idempotencyKey: 'checkout-0001', principal: 'sub-1', now: environment.now(), sagaDeadlineSeconds: 300 },
  );

describe('business metrics (embedded metric format)', () => {
  it('counts a placed order once it is committed, with its id as metadata', async () => {
    const { client } = scriptedDocumentClient();
    const { order, events } = placed();

    await dynamoDbOrderRepository('orders', environment, client).create(order, { key: 'sub-1#checkout-0001', requestHash: 'h' }, events, cause);

    const [line] = emitted();
    expect(metricNames(line!)).toEqual([businessMetrics.ordersPlaced]);
    expect(line).toMatchObject({ [businessMetrics.ordersPlaced]: 1, orderId });
    expect(line!._aws.CloudWatchMetrics[0]!.Namespace).toBe(businessMetrics.namespace);
  });

  it('counts a cancellation by reason and records the saga duration by outcome', async () => {
    const { client } = scriptedDocumentClient();
    const { order } = placed();

    await dynamoDbOrderRepository('orders', environment, client).transition(
      order,
      { to: 'CANCELLED', entry: { status: 'CANCELLED', at: '2025-03-14T09:26:54.839Z', reason: 'OUT_OF_STOCK' }, cancellationReason: 'OUT_OF_STOCK' },
      [],
      cause,
    );

    const lines = emitted();
    expect(lines.map(metricNames)).toEqual([[businessMetrics.ordersCancelled], [businessMetrics.sagaDurationMs]]);
    expect(lines[0]).toMatchObject({ reason: 'OUT_OF_STOCK', orderId });
    expect(lines[0]!._aws.CloudWatchMetrics[0]!.Dimensions[0]).toContain('reason');
    expect(lines[1]).toMatchObject({ [businessMetrics.sagaDurationMs]: 1250, outcome: 'CANCELLED' });
    expect(lines[1]!._aws.CloudWatchMetrics[0]!.Metrics[0]!.Unit).toBe('Milliseconds');
  });

  it('counts nothing when another event moved the order first', async () => {
    const conditionFailed = new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] });
    const { client } = scriptedDocumentClient([throws(conditionFailed)]);
    const { order } = placed();

    const moved = await dynamoDbOrderRepository('orders', environment, client).transition(order, { to: 'CONFIRMED', entry: { status: 'CONFIRMED', at: '2025-03-14T09:26:54.000Z', reason: 'PaymentAuthorized' } }, [], cause);

    expect(moved).toBe(false);
    expect(emitted()).toEqual([]);
  });

  it('names a compensation by its action', () => {
    recordBusinessMetric('compensations', 1, { orderId, dimensions: { action: 'Refund' } });

    expect(emitted()).toEqual([expect.objectContaining({ [businessMetrics.compensations]: 1, action: 'Refund', orderId })]);
  });
});
