import { describe, expect, it } from 'vitest';
import { OrderCancelled, PaymentAuthorized } from '#contracts/events';
import { forward, type ForwardPorts } from '../../../functions/cross-region-forwarder/forward';
import { eventBridgeBody } from '../../helpers/events-envelope';
import { readEventFixture } from '../../helpers/events-fixtures';
import { sqsRecord } from '../../helpers/events-records';
import { failed, recordingPublisher, type PublishOutcome } from '../../helpers/fakes-publish-ports';

const targetBusArn = 'arn:aws:events:us-west-2:123456789012:event-bus/duckstore-us-west-2';

function fakeForwardPorts(outcome?: PublishOutcome) {
  const publisher = recordingPublisher(outcome);
  const ports: ForwardPorts = { targetBusArn, publish: publisher.publish, deadLetter: publisher.deadLetter };
  return { ports, published: publisher.published, deadLettered: publisher.deadLettered };
}

const cancelledRecord = (messageId: string) => sqsRecord(eventBridgeBody(OrderCancelled, readEventFixture('OrderCancelled')), messageId);

describe('forward', () => {
  it('puts each event on the target bus with the same source, detail-type and detail', async () => {
    const detail = readEventFixture('OrderCancelled');
    const { ports, published, deadLettered } = fakeForwardPorts();

    const retry = await forward([sqsRecord(eventBridgeBody(OrderCancelled, detail), 'msg-1')], ports);

    expect(retry).toEqual([]);
    expect(deadLettered).toEqual([]);
    expect(published).toHaveLength(1);
    const [entry] = published.flat();
    expect(entry).toMatchObject({ EventBusName: targetBusArn, Source: 'duckstore.orders', DetailType: 'OrderCancelled' });
    expect(JSON.parse(entry!.Detail!)).toEqual(detail);
  });

  it('keeps detail fields it does not know about', async () => {
    const detail = readEventFixture('OrderCancelled');
    detail.metadata.replayedFrom = 'archive-2025-03-14';
    detail.data.note = 'added by a newer producer';
    const { ports, published } = fakeForwardPorts();

    await forward([sqsRecord(eventBridgeBody(OrderCancelled, detail))], ports);

    expect(JSON.parse(published.flat()[0]!.Detail!)).toEqual(detail);
  });

  it('passes the trace header on when the metadata has one, and none otherwise', async () => {
    const traced = readEventFixture('OrderPlaced');
    const untraced = readEventFixture('PaymentAuthorized');
    const { ports, published } = fakeForwardPorts();

    await forward([sqsRecord(JSON.stringify({ source: 'duckstore.orders', 'detail-type': 'OrderPlaced', detail: traced })), sqsRecord(eventBridgeBody(PaymentAuthorized, untraced))], ports);

    const [tracedEntry, untracedEntry] = published.flat();
    expect(tracedEntry?.TraceHeader).toBe(traced.metadata.traceHeader);
    expect(untracedEntry).not.toHaveProperty('TraceHeader');
  });

  it.each([
    ['a body that is not JSON', 'duck duck goose'],
    ['an event without a detail-type', JSON.stringify({ source: 'duckstore.orders', detail: readEventFixture('OrderCancelled') })],
    ['an event without metadata', JSON.stringify({ source: 'duckstore.orders', 'detail-type': 'OrderCancelled', detail: { data: {} } })],
  ])('dead-letters %s with its reason and forwards the rest', async (_, body) => {
    const { ports, published, deadLettered } = fakeForwardPorts();

    const retry = await forward([cancelledRecord('msg-1'), sqsRecord(body, 'poison'), cancelledRecord('msg-3')], ports);

    expect(retry).toEqual([]);
    expect(deadLettered).toEqual([{ payload: body, reason: expect.stringMatching(/^cannot forward: /) }]);
    expect(published.flat()).toHaveLength(2);
  });

  it('publishes nothing when the whole batch is poison', async () => {
    const { ports, published } = fakeForwardPorts();

    const retry = await forward([sqsRecord('not json', 'poison')], ports);

    expect(retry).toEqual([]);
    expect(published).toEqual([]);
  });

  it('returns the message ids of the events that failed transiently, for SQS to redeliver', async () => {
    const { ports, deadLettered } = fakeForwardPorts(() => [failed(1, 'ThrottlingException', true), failed(2, 'NetworkingError', true)]);

    const retry = await forward([cancelledRecord('msg-1'), sqsRecord('{', 'poison'), cancelledRecord('msg-3'), cancelledRecord('msg-4')], ports);

    expect(retry).toEqual(['msg-3', 'msg-4']);
    expect(deadLettered.map(({ payload }) => payload)).toEqual(['{']);
  });

  it('dead-letters an event the target bus rejected for good, with the original body, and does not retry it', async () => {
    const rejected = cancelledRecord('msg-2');
    const { ports, deadLettered } = fakeForwardPorts(() => [failed(1, 'NotAuthorizedForSourceException', false)]);

    const retry = await forward([cancelledRecord('msg-1'), rejected], ports);

    expect(retry).toEqual([]);
    expect(deadLettered).toEqual([{ payload: rejected.body, reason: 'target bus rejected the event: NotAuthorizedForSourceException fake NotAuthorizedForSourceException' }]);
  });
});
