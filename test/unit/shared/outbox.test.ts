import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OrderCancelled, OrderPlaced } from '#contracts/events';
import { outboxRowSchema, unpublishedOutboxIndex } from '#contracts/outbox';
import { emit, outboxRow, outboxShardOf } from '#shared/outbox';
import { outboxPuts } from '#shared/transactions';

const orderId = 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2';
const eventId = '2f1ee897-a75c-4f48-ad1b-50cbde001040';
const now = new Date('2025-03-14T09:26:53.589Z');
const cause = { correlationId: orderId, causationId: 'checkout-7f3a21-20250314-0926' };
const environment = { region: 'us-east-1', now: () => now, newId: () => eventId };

const orderPlacedData = {
  orderId,
  customerId: 'cust-7f3a21',
  lines: [{ sku: 'DUCK-PIRATE', quantity: 2, unitPriceCents: 899 }],
  total: { amountCents: 1798, currency: 'USD' as const },
  deadline: '2025-03-14T09:31:53.589Z',
};

describe('outboxRow', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('builds a row that satisfies the outbox row contract', () => {
    const row = outboxRow(emit(OrderPlaced, orderPlacedData), cause, environment);

    expect(outboxRowSchema.safeParse(row).error?.issues ?? []).toEqual([]);
    expect(row).toMatchObject({
      pk: `OUTBOX#${eventId}`,
      kind: 'outbox',
      eventId,
      source: 'duckstore.orders',
      detailType: 'OrderPlaced',
      correlationId: orderId,
      createdAt: '2025-03-14T09:26:53.589Z',
    });
  });

  it('serializes a detail that its contract parses back to the same event', () => {
    const row = outboxRow(emit(OrderPlaced, orderPlacedData), cause, environment);

    const detail = OrderPlaced.detail.parse(JSON.parse(row.detail));

    expect(detail).toEqual({
      metadata: {
        eventId,
        type: 'OrderPlaced',
        version: 1,
        occurredAt: '2025-03-14T09:26:53.589Z',
        correlationId: orderId,
        causationId: cause.causationId,
        originRegion: 'us-east-1',
      },
      data: orderPlacedData,
    });
  });

  it('takes the eventId from newId, for the key and the metadata alike', () => {
    const row = outboxRow(emit(OrderPlaced, orderPlacedData), cause, { ...environment, newId: () => '435f8af3-20fd-4dac-89f7-7339f5cb3a53' });

    expect(row.eventId).toBe('435f8af3-20fd-4dac-89f7-7339f5cb3a53');
    expect(row.pk).toBe('OUTBOX#435f8af3-20fd-4dac-89f7-7339f5cb3a53');
    expect(JSON.parse(row.detail)).toMatchObject({ metadata: { eventId: '435f8af3-20fd-4dac-89f7-7339f5cb3a53' } });
  });

  it('gives every row a new random eventId without newId', () => {
    const { newId: _, ...withoutNewId } = environment;

    const ids = [1, 2, 3].map(() => outboxRow(emit(OrderPlaced, orderPlacedData), cause, withoutNewId).eventId);

    expect(new Set(ids).size).toBe(3);
    ids.forEach((id) => expect(outboxRowSchema.shape.eventId.safeParse(id).success).toBe(true));
  });

  it('stamps the region of the outbox that publishes it as originRegion', () => {
    const row = outboxRow(emit(OrderPlaced, orderPlacedData), cause, { ...environment, region: 'us-west-2' });

    expect(JSON.parse(row.detail)).toMatchObject({ metadata: { originRegion: 'us-west-2' } });
  });

  it('gives the row no TTL, so an unpublished row never expires', () => {
    const row = outboxRow(emit(OrderPlaced, orderPlacedData), cause, environment);

    expect(row).not.toHaveProperty('expiresAt');
  });

  it('puts the row in the unpublished-outbox index, in a shard of its eventId, sorted by its creation time', () => {
    const rows = Array.from({ length: 400 }, () => outboxRow(emit(OrderPlaced, orderPlacedData), cause, { ...environment, newId: randomUUID }));

    expect(new Set(rows.map((row) => row[unpublishedOutboxIndex.partitionKey]))).toEqual(
      new Set(Array.from({ length: unpublishedOutboxIndex.shardCount }, (_, n) => `SHARD#${n}`)),
    );
    rows.forEach((row) => expect(row[unpublishedOutboxIndex.partitionKey]).toBe(outboxShardOf(row.eventId)));
    expect(rows[0]![unpublishedOutboxIndex.sortKey]).toBe(now.toISOString());
  });

  it('still reads a row written before the sweeper, which carries a TTL and no index shard', () => {
    const { outboxShard: _shard, ...legacy } = { ...outboxRow(emit(OrderPlaced, orderPlacedData), cause, environment), expiresAt: 1_742_000_000 };

    expect(outboxRowSchema.safeParse(legacy).success).toBe(true);
  });

  it('carries the X-Ray trace header of the writing invocation in the metadata', () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-67d3f5ad-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=1');

    const row = outboxRow(emit(OrderPlaced, orderPlacedData), cause, environment);

    expect(OrderPlaced.detail.parse(JSON.parse(row.detail)).metadata.traceHeader).toBe('Root=1-67d3f5ad-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=1');
  });

  it('leaves traceHeader out when the invocation is not traced', () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', '');

    const row = outboxRow(emit(OrderPlaced, orderPlacedData), cause, environment);

    expect(JSON.parse(row.detail)).not.toHaveProperty('metadata.traceHeader');
  });

  it.each([
    ['an orderId that is not a UUID', { ...orderPlacedData, orderId: 'order-1' }],
    ['no lines', { ...orderPlacedData, lines: [] }],
    ['a negative total', { ...orderPlacedData, total: { amountCents: -1, currency: 'USD' as const } }],
  ])('refuses an event with %s, so it can never be committed', (_, data) => {
    const act = () => outboxRow(emit(OrderPlaced, data), cause, environment);

    expect(act).toThrow();
  });

  it('refuses data of another event type', () => {
    const cancelledData = { orderId, customerId: 'cust-7f3a21', reason: 'OUT_OF_STOCK' as const };

    const act = () => outboxRow({ contract: OrderPlaced, data: cancelledData as unknown as typeof orderPlacedData }, cause, environment);

    expect(act).toThrow(/lines|total/);
  });

  it('builds no transaction items when one of the events is invalid', () => {
    const valid = emit(OrderCancelled, { orderId, customerId: 'cust-7f3a21', reason: 'OUT_OF_STOCK' });
    const invalid = emit(OrderCancelled, { orderId, customerId: '', reason: 'OUT_OF_STOCK' });

    const act = () => outboxPuts('duckstore-orders', [valid, invalid], cause, environment);

    expect(act).toThrow(/customerId/);
  });

  it('puts each row only if its key is new', () => {
    const items = outboxPuts('duckstore-orders', [emit(OrderPlaced, orderPlacedData)], cause, environment);

    expect(items).toEqual([
      { Put: { TableName: 'duckstore-orders', Item: expect.objectContaining({ pk: `OUTBOX#${eventId}` }), ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
  });
});
