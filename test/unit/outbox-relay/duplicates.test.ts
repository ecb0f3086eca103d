import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { OrderPlaced } from '#contracts/events';
import type { EventContract, EventDetail } from '#contracts/envelope';
import { idempotentOnEventId } from '#shared/event-consumer';
import { emit, outboxRow } from '#shared/outbox';
import { applyOrderEvent } from '../../../functions/inventory/domain/use-cases';
import type { OrderPlacedEvent } from '../../../functions/inventory/domain/reservation';
import { relay } from '../../../functions/outbox-relay/relay';
import { sweepOutbox } from '../../../functions/outbox-relay/sweeper';
import { readEventFixture } from '../../helpers/events-fixtures';
import { streamRecord } from '../../helpers/events-records';
import { recordingPublisher } from '../../helpers/fakes-publish-ports';
import { InMemoryPersistenceLayer } from '../../helpers/idempotency-memory';
import { fixedClock, inMemoryInventory } from '../../helpers/inventory-fake-repository';
import { inMemoryOutbox } from '../../helpers/outbox-fakes';

describe('a row published by both the sweeper and the relay', () => {
  it('reaches the consumer twice and is applied once: inventory is idempotent on its eventId', async () => {
    // The orders context commits an OrderPlaced; its relay is slower than the sweeper's bound (a lagging stream).
    const placed = readEventFixture('OrderPlaced');
    const committedAt = new Date('2025-01-01T12:00:00.000Z');
    const row = outboxRow(emit(OrderPlaced, OrderPlaced.detail.parse(placed).data), { correlationId: OrderPlaced.detail.parse(placed).data.orderId, causationId: 'checkout-7f3a21' }, { region: 'us-east-1', now: () => committedAt });
    const table = inMemoryOutbox([row]);
    const bus = recordingPublisher();
    const publishing = { busName: 'duckstore', publish: bus.publish, markPublished: table.markPublished };

    const swept = await sweepOutbox({ ...publishing, outbox: table.outbox, clock: { now: () => new Date(committedAt.getTime() + 150_000) } }, { boundSeconds: 120, pageSize: 50, budgetMs: 35_000 });
    // The stream record of the INSERT reaches the relay only now; the relay publishes from the record, not the table.
    const relayed = await relay([streamRecord(row, { sequenceNumber: '100' })], { ...publishing, deadLetter: async () => {} });

    const deliveries = bus.published.flat();
    expect(swept.published).toBe(1);
    expect(relayed.published).toBe(1);
    expect(deliveries).toHaveLength(2);
    expect(deliveries[0]).toEqual(deliveries[1]);

    // The inventory consumer: the real use case behind the consumer's own idempotency on eventId, over in-memory ports.
    const inventory = inMemoryInventory({ 'DUCK-PIRATE': 10, 'DUCK-CLASSIC': 10 });
    let applied = 0;
    const { apply, config } = idempotentOnEventId(
      async (detail: EventDetail<EventContract>) => {
        applied++;
        return applyOrderEvent(detail as OrderPlacedEvent, { reservations: inventory.repository, clock: fixedClock() });
      },
      { persistenceStore: new InMemoryPersistenceLayer(), component: 'inventory' },
    );
    config.registerLambdaContext({ getRemainingTimeInMillis: () => 30_000 } as Context);
    const outcomes: string[] = [];
    for (const entry of deliveries as PutEventsRequestEntry[]) outcomes.push(await apply(OrderPlaced.detail.parse(JSON.parse(entry.Detail!))));

    expect(applied).toBe(1);
    expect(outcomes).toEqual(['reserved', 'reserved']);
    expect(inventory.stock).toEqual(new Map([['DUCK-PIRATE', 8], ['DUCK-CLASSIC', 7]]));
    expect(inventory.outbox.map((event) => event.detailType)).toEqual(['InventoryReserved']);
  });
});
