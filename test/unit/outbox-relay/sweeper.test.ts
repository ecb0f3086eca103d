import { describe, expect, it } from 'vitest';
import { OrderCancelled } from '#contracts/events';
import type { OutboxRow } from '#contracts/outbox';
import { emit, outboxRow } from '#shared/outbox';
import { putEventsReliably } from '#shared/publish-events';
import { sweepOutbox, type OutboxSweepPolicy, type OutboxSweepPorts } from '../../../functions/outbox-relay/sweeper';
import { fakeEventBridge, failWhere } from '../../helpers/fakes-event-bridge';
import { failed, recordingPublisher, type PublishOutcome } from '../../helpers/fakes-publish-ports';
import { inMemoryOutbox } from '../../helpers/outbox-fakes';

const busName = 'duckstore';
const now = new Date('2025-03-14T12:30:00.000Z');
const policy: OutboxSweepPolicy = { boundSeconds: 120, pageSize: 50, budgetMs: 35_000 };

let nextOrder = 0;
/** An outbox row committed `ageSeconds` before now, built by the code the use cases' adapters use. */
function rowAged(ageSeconds: number): OutboxRow {
  nextOrder++;
  const orderId = `00000000-0000-4000-8000-${String(nextOrder).padStart(12, '0')}`;
  return outboxRow(
    emit(OrderCancelled, { orderId, customerId: 'cust-7f3a21', reason: 'OUT_OF_STOCK' }),
    { correlationId: orderId, causationId: 'a9d82ee4-04df-4ad9-a123-8b43a398d36d' },
    { region: 'us-east-1', now: () => new Date(now.getTime() - ageSeconds * 1000) },
  );
}

function sweeperPorts(rows: Record<string, unknown>[], outcome?: PublishOutcome, clock = { now: () => now }) {
  const table = inMemoryOutbox(rows);
  const publisher = recordingPublisher(outcome);
  const ports: OutboxSweepPorts = { busName, outbox: table.outbox, markPublished: table.markPublished, publish: publisher.publish, clock };
  return { ports, table, published: publisher.published };
}

describe('sweepOutbox', () => {
  it('publishes the rows older than the bound byte for byte, deletes them, and leaves the younger rows to the relay', async () => {
    const [stranded, parked, young] = [rowAged(600), rowAged(121), rowAged(30)];
    const { ports, table, published } = sweeperPorts([young!, stranded!, parked!]);

    const report = await sweepOutbox(ports, policy);

    expect(published.flat()).toEqual([stranded!, parked!].map((row) => ({ EventBusName: busName, Source: row.source, DetailType: row.detailType, Detail: row.detail })));
    expect([...table.rows.keys()]).toEqual([young!.pk]);
    expect(report).toMatchObject({ examined: 2, published: 2, failed: [], invalid: [], truncated: false, oldestAgeSeconds: 600, cutoff: '2025-03-14T12:28:00.000Z' });
  });

  it('reports the age of the oldest unpublished row, and 0 for an empty outbox, without reading rows when none is old', async () => {
    const young = sweeperPorts([rowAged(45), rowAged(7)]);
    const empty = sweeperPorts([]);

    const youngReport = await sweepOutbox(young.ports, policy);
    const emptyReport = await sweepOutbox(empty.ports, policy);

    expect(youngReport).toMatchObject({ oldestAgeSeconds: 45, examined: 0, published: 0 });
    expect(young.table.pagesRead).toEqual([]);
    expect(young.published).toEqual([]);
    expect(emptyReport.oldestAgeSeconds).toBe(0);
  });

  it('leaves a row EventBridge still refuses in the outbox, and the next sweep publishes it once EventBridge is back', async () => {
    const [refused, accepted] = [rowAged(300), rowAged(200)];
    let eventBridgeDown = true;
    const { ports, table, published } = sweeperPorts([refused!, accepted!], (entries) =>
      eventBridgeDown ? entries.flatMap((entry, index) => (entry.Detail === refused!.detail ? [failed(index, 'ThrottlingException', true)] : [])) : [],
    );

    const during = await sweepOutbox(ports, policy);
    eventBridgeDown = false;
    const after = await sweepOutbox(ports, policy);

    expect(during).toMatchObject({ published: 1, failed: [{ eventId: refused!.eventId, errorCode: 'ThrottlingException', retryable: true }] });
    expect(after).toMatchObject({ published: 1, failed: [], oldestAgeSeconds: 300 });
    expect(published.flat().map((entry) => entry.Detail)).toEqual([refused!.detail, accepted!.detail, refused!.detail]);
    expect(table.rows.size).toBe(0);
  });

  it('publishes through the relay publisher: PutEvents calls of at most 10, and only the failed entries again', async () => {
    const rows = Array.from({ length: 23 }, (_, n) => rowAged(1_000 - n));
    const throttledOnce = rows[14]!.detail;
    const { client, calls } = fakeEventBridge([() => ({ FailedEntryCount: 0, Entries: Array.from({ length: 10 }, (_, n) => ({ EventId: `e${n}` })) }), failWhere('ThrottlingException', (entry) => entry.Detail === throttledOnce)]);
    const table = inMemoryOutbox(rows);
    const ports: OutboxSweepPorts = {
      busName,
      outbox: table.outbox,
      markPublished: table.markPublished,
      publish: (entries) => putEventsReliably(client, entries, { sleep: async () => {} }),
      clock: { now: () => now },
    };

    const report = await sweepOutbox(ports, { ...policy, pageSize: 100 });

    expect(calls.map((call) => call.length)).toEqual([10, 10, 3, 1]);
    expect(calls[3]!.map((entry) => entry.Detail)).toEqual([throttledOnce]);
    expect(report).toMatchObject({ examined: 23, published: 23, failed: [] });
    expect(table.rows.size).toBe(0);
  });

  it('reports a row that breaks the outbox contract and leaves it for an operator, publishing the others', async () => {
    const broken = { ...rowAged(400), detail: 'not json' };
    const good = rowAged(300);
    const { ports, table, published } = sweeperPorts([broken, good]);

    const report = await sweepOutbox(ports, policy);

    expect(report.invalid).toEqual([{ pk: broken.pk, reason: 'detail: not JSON' }]);
    expect(published.flat().map((entry) => entry.Detail)).toEqual([good.detail]);
    expect([...table.rows.keys()]).toEqual([broken.pk]);
  });

  it('stops starting pages once its time budget is spent, and says the outbox was not swept to the end', async () => {
    const rows = Array.from({ length: 5 }, (_, n) => rowAged(900 - n));
    let elapsedMs = 0;
    const clock = { now: () => new Date(now.getTime() + elapsedMs) };
    const { ports, table } = sweeperPorts(rows, () => {
      elapsedMs += 20_000;
      return [];
    }, clock);

    const report = await sweepOutbox(ports, { ...policy, pageSize: 2 });

    expect(report).toMatchObject({ published: 4, truncated: true });
    expect(table.rows.size).toBe(1);
  });
});
