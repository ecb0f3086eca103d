import { afterEach, describe, expect, it, vi } from 'vitest';
import { OrderCancelled, OrderPlaced } from '#contracts/events';
import type { OutboxRow } from '#contracts/outbox';
import { emit, outboxRow } from '#shared/outbox';
import { relay, type RelayPorts } from '../../../functions/outbox-relay/relay';
import { streamRecord } from '../../helpers/events-records';
import { failed, recordingPublisher, type PublishOutcome } from '../../helpers/fakes-publish-ports';

const busName = 'duckstore-us-east-1';
const traceHeader = 'Root=1-67d3f5ad-0a1b2c3d4e5f60718293a4b5;Parent=53995c3f42cd8ad8;Sampled=1';

let nextOrder = 0;
/** A committed outbox row, built by the same code the use cases' adapters use. */
function committedRow(): OutboxRow {
  nextOrder++;
  const orderId = `00000000-0000-4000-8000-${String(nextOrder).padStart(12, '0')}`;
  return outboxRow(
    emit(OrderCancelled, { orderId, customerId: 'cust-7f3a21', reason: 'OUT_OF_STOCK' }),
    { correlationId: orderId, causationId: 'a9d82ee4-04df-4ad9-a123-8b43a398d36d' },
    { region: 'us-east-1', now: () => new Date('2025-03-14T12:18:40.500Z') },
  );
}

function fakeRelayPorts(outcome?: PublishOutcome) {
  const publisher = recordingPublisher(outcome);
  const marked: OutboxRow[][] = [];
  const ports: RelayPorts = {
    busName,
    publish: publisher.publish,
    deadLetter: publisher.deadLetter,
    markPublished: async (rows) => {
      marked.push(rows);
    },
  };
  return { ports, published: publisher.published, deadLettered: publisher.deadLettered, marked };
}

describe('relay', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('publishes each outbox row byte for byte to the bus and marks it published', async () => {
    const rows = [committedRow(), committedRow()];
    const { ports, published, marked } = fakeRelayPorts();

    const result = await relay(
      rows.map((row, n) => streamRecord(row, { sequenceNumber: `${100 + n}` })),
      ports,
    );

    expect(result).toEqual({ published: 2, deadLettered: 0 });
    expect(published).toEqual([rows.map((row) => ({ EventBusName: busName, Source: row.source, DetailType: row.detailType, Detail: row.detail }))]);
    expect(marked).toEqual([rows]);
  });

  it('publishes only outbox INSERTs, ignoring MODIFY, REMOVE and rows of other kinds', async () => {
    const [inserted, modified, removed, alsoInserted] = [committedRow(), committedRow(), committedRow(), committedRow()];
    const orderRow = { pk: 'ORDER#ce866e34-ccfa-4320-9ac5-3ead4b519ab2', kind: 'order', status: 'PENDING' };
    const { ports, published, marked } = fakeRelayPorts();

    const result = await relay(
      [
        streamRecord(inserted!, { sequenceNumber: '100' }),
        streamRecord(modified!, { eventName: 'MODIFY', sequenceNumber: '200' }),
        streamRecord(removed!, { eventName: 'REMOVE', sequenceNumber: '300' }),
        streamRecord(orderRow, { sequenceNumber: '400' }),
        streamRecord(alsoInserted!, { sequenceNumber: '500' }),
      ],
      ports,
    );

    expect(result).toEqual({ published: 2, deadLettered: 0 });
    expect(published.flat().map((entry) => entry.Detail)).toEqual([inserted!.detail, alsoInserted!.detail]);
    expect(marked).toEqual([[inserted, alsoInserted]]);
  });

  it('does nothing for a batch without outbox INSERTs', async () => {
    const { ports, published, marked } = fakeRelayPorts();

    const result = await relay([streamRecord(committedRow(), { eventName: 'REMOVE', sequenceNumber: '100' })], ports);

    expect(result).toEqual({ published: 0, deadLettered: 0 });
    expect(published).toEqual([]);
    expect(marked).toEqual([]);
  });

  it('dead-letters an invalid row with the reason and still publishes the others', async () => {
    const [first, last] = [committedRow(), committedRow()];
    const invalid = { ...committedRow(), eventId: 'not-a-uuid' };
    const { ports, published, deadLettered, marked } = fakeRelayPorts();

    const result = await relay(
      [streamRecord(first!, { sequenceNumber: '100' }), streamRecord(invalid, { sequenceNumber: '200' }), streamRecord(last!, { sequenceNumber: '300' })],
      ports,
    );

    expect(result).toEqual({ published: 2, deadLettered: 1 });
    expect(deadLettered).toEqual([{ payload: JSON.stringify(invalid), reason: expect.stringMatching(/^invalid outbox row: .*eventId/) }]);
    expect(published.flat().map((entry) => entry.Detail)).toEqual([first!.detail, last!.detail]);
    expect(marked).toEqual([[first, last]]);
  });

  it('dead-letters a row without a detail and names the missing attribute', async () => {
    const { detail: _, ...withoutDetail } = committedRow();
    const { ports, deadLettered, published } = fakeRelayPorts();

    const result = await relay([streamRecord(withoutDetail, { sequenceNumber: '100' })], ports);

    expect(result).toEqual({ published: 0, deadLettered: 1 });
    expect(deadLettered[0]?.reason).toMatch(/detail/);
    expect(published).toEqual([]);
  });

  it.each([
    ['is not JSON', '{"metadata": {"eventId": '],
    ['is JSON null', 'null'],
  ])('dead-letters a row whose detail %s and still publishes the others', async (_, detail) => {
    const [first, last] = [committedRow(), committedRow()];
    const broken = { ...committedRow(), detail };
    const { ports, published, deadLettered, marked } = fakeRelayPorts();

    const result = await relay(
      [streamRecord(first!, { sequenceNumber: '100' }), streamRecord(broken, { sequenceNumber: '200' }), streamRecord(last!, { sequenceNumber: '300' })],
      ports,
    );

    expect(result).toEqual({ published: 2, deadLettered: 1 });
    expect(deadLettered).toEqual([{ payload: expect.stringContaining(broken.pk), reason: expect.stringMatching(/detail/) }]);
    expect(published.flat().map((entry) => entry.Detail)).toEqual([first!.detail, last!.detail]);
    expect(marked).toEqual([[first, last]]);
  });

  it('marks exactly the rows that were published', async () => {
    const rows = [committedRow(), committedRow(), committedRow(), committedRow()];
    const { ports, marked } = fakeRelayPorts(() => [failed(1, 'ThrottlingException', true), failed(3, 'MalformedDetail', false)]);

    await relay(
      rows.map((row, n) => streamRecord(row, { sequenceNumber: `${100 * (n + 1)}` })),
      ports,
    );

    expect(marked).toEqual([[rows[0], rows[2]]]);
  });

  it('dead-letters an entry EventBridge rejected for good and does not mark it published', async () => {
    const [rejected, accepted] = [committedRow(), committedRow()];
    const { ports, deadLettered, marked } = fakeRelayPorts(() => [failed(0, 'MalformedDetail', false)]);

    const result = await relay([streamRecord(rejected!, { sequenceNumber: '100' }), streamRecord(accepted!, { sequenceNumber: '200' })], ports);

    expect(result).toEqual({ published: 1, deadLettered: 1 });
    expect(deadLettered).toEqual([{ payload: JSON.stringify(rejected), reason: 'EventBridge rejected the entry: MalformedDetail fake MalformedDetail' }]);
    expect(marked).toEqual([[accepted]]);
  });

  it('asks the stream to retry from the first record whose publication failed transiently', async () => {
    const rows = [committedRow(), committedRow(), committedRow()];
    const { ports, deadLettered } = fakeRelayPorts(() => [failed(1, 'ThrottlingException', true), failed(2, 'InternalFailure', true)]);

    const result = await relay(
      rows.map((row, n) => streamRecord(row, { sequenceNumber: `${100 * (n + 1)}` })),
      ports,
    );

    expect(result).toEqual({ published: 1, deadLettered: 0, retryFrom: '200' });
    expect(deadLettered).toEqual([]);
  });

  it('maps a failed entry back to its own record when records before it were skipped', async () => {
    const invalid = { ...committedRow(), kind: 'outbox', createdAt: 'yesterday' };
    const [first, second] = [committedRow(), committedRow()];
    const { ports } = fakeRelayPorts(() => [failed(1, 'ThrottlingException', true)]);

    const result = await relay(
      [
        streamRecord(invalid, { sequenceNumber: '100' }),
        streamRecord(first!, { eventName: 'MODIFY', sequenceNumber: '150' }),
        streamRecord(first!, { sequenceNumber: '200' }),
        streamRecord(second!, { sequenceNumber: '300' }),
      ],
      ports,
    );

    expect(result).toEqual({ published: 1, deadLettered: 1, retryFrom: '300' });
  });

  it('passes the trace header of the writing invocation on to EventBridge', async () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', traceHeader);
    const traced = outboxRow(
      emit(OrderPlaced, {
        orderId: 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2',
        customerId: 'cust-7f3a21',
        lines: [{ sku: 'DUCK-CLASSIC', quantity: 1, unitPriceCents: 499 }],
        total: { amountCents: 499, currency: 'USD' },
        deadline: '2025-03-14T09:31:53.589Z',
      }),
      { correlationId: 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2', causationId: 'checkout-7f3a21-20250314-0926' },
      { region: 'us-east-1', now: () => new Date('2025-03-14T09:26:53.589Z') },
    );
    vi.unstubAllEnvs();
    const untraced = committedRow();
    const { ports, published } = fakeRelayPorts();

    await relay([streamRecord(traced, { sequenceNumber: '100' }), streamRecord(untraced, { sequenceNumber: '200' })], ports);

    const [tracedEntry, untracedEntry] = published.flat();
    expect(tracedEntry?.TraceHeader).toBe(traceHeader);
    expect(untracedEntry).not.toHaveProperty('TraceHeader');
  });
});
