import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { replayCommand, timeFlag } from '../../../cli/commands/replay';
import { deadLetterQueuesOf, selectDeadLetterQueues } from '../../../cli/dlq/catalog';
import { classify, groupByReason, matches, redriveAttributes } from '../../../cli/dlq/messages';
import { rulesFor } from '../../../cli/dlq/replay';
import type { Deployment } from '../../../cli/deployment';

const envelope = (type: string, orderId: string, eventId = '6f1c1f5e-3c1a-4e4b-9d51-1a2b3c4d5e6f') => ({ metadata: { eventId, type, correlationId: orderId }, data: {} });
const eventBridgeEvent = (type: string, orderId: string) => JSON.stringify({ 'detail-type': type, source: 'duckstore.orders', detail: envelope(type, orderId) });
const attribute = (StringValue: string) => ({ DataType: 'String', StringValue });

describe('classify', () => {
  it('reads a message the consumer parked from its duckstore-reason attribute', () => {
    const message = classify({ MessageId: 'm1', Body: eventBridgeEvent('OrderPlaced', 'o-1'), MessageAttributes: { 'duckstore-reason': attribute('contract: data.items: Required') } });
    expect(message).toMatchObject({ origin: 'parked', reason: 'contract: data.items: Required', event: { type: 'OrderPlaced', orderId: 'o-1' } });
  });

  it("reads an event EventBridge could not deliver from its error attributes", () => {
    const message = classify({ Body: eventBridgeEvent('OrderConfirmed', 'o-2'), MessageAttributes: { ERROR_CODE: attribute('SQS.AccessDenied'), ERROR_MESSAGE: attribute('denied') } });
    expect(message).toMatchObject({ origin: 'rule-target', reason: 'EventBridge could not deliver: SQS.AccessDenied denied', event: { type: 'OrderConfirmed' } });
  });

  it('takes a message without attributes for one whose receives ran out', () => {
    expect(classify({ Body: eventBridgeEvent('InventoryReserved', 'o-3'), Attributes: { ApproximateReceiveCount: '6' } })).toMatchObject({ origin: 'receives-exhausted', receiveCount: 6 });
  });

  it('reads a stream on-failure notice (metadata only, no event) and a parked outbox row (detail serialized)', () => {
    const notice = classify({ Body: JSON.stringify({ requestContext: { condition: 'RetryAttemptsExhausted' }, DDBStreamBatchInfo: { shardId: 's' } }) });
    expect(notice).toMatchObject({ origin: 'stream-failure', reason: 'stream batch failed: RetryAttemptsExhausted', event: undefined });
    const row = classify({ Body: JSON.stringify({ detailType: 'OrderPlaced', detail: JSON.stringify(envelope('OrderPlaced', 'o-4')) }), MessageAttributes: { 'duckstore-reason': attribute('EventBridge rejected the entry') } });
    expect(row.event).toMatchObject({ type: 'OrderPlaced', orderId: 'o-4' });
  });

  it('survives a body that is not JSON', () => {
    expect(classify({ Body: 'not json' })).toMatchObject({ origin: 'receives-exhausted', event: undefined });
  });
});

describe('filters and groups', () => {
  const messages = [
    classify({ Body: eventBridgeEvent('OrderPlaced', 'o-1'), MessageAttributes: { 'duckstore-reason': attribute('timeout after 3000 ms for 6f1c1f5e-3c1a-4e4b-9d51-1a2b3c4d5e6f') } }),
    classify({ Body: eventBridgeEvent('OrderCancelled', 'o-2'), MessageAttributes: { 'duckstore-reason': attribute('timeout after 2999 ms for 0a1c1f5e-3c1a-4e4b-9d51-1a2b3c4d5e6f') } }),
    classify({ Body: eventBridgeEvent('OrderPlaced', 'o-3') }),
  ];

  it('filters by reason, event type, order and origin', () => {
    expect(messages.filter((message) => matches(message, { reason: 'TIMEOUT' }))).toHaveLength(2);
    expect(messages.filter((message) => matches(message, { eventType: 'OrderPlaced' }))).toHaveLength(2);
    expect(messages.filter((message) => matches(message, { orderId: 'o-2' }))).toHaveLength(1);
    expect(messages.filter((message) => matches(message, { origin: 'receives-exhausted', eventType: 'OrderPlaced' }))).toHaveLength(1);
    expect(messages.filter((message) => matches(message, {}))).toHaveLength(3);
  });

  it('groups reasons that differ only in ids and numbers, largest group first', () => {
    const groups = groupByReason(messages);
    expect(groups.map((group) => [group.count, group.origin, group.eventTypes])).toEqual([
      [2, 'parked', ['OrderCancelled', 'OrderPlaced']],
      [1, 'receives-exhausted', ['OrderPlaced']],
    ]);
  });
});

describe('redriveAttributes', () => {
  it('keeps what downstream reads and drops what only describes the failure', () => {
    const message: Message = {
      MessageAttributes: {
        traceparent: attribute('00-abc'),
        'duckstore-reason': attribute('poison'),
        'duckstore-component': attribute('inventory-consumer'),
        'duckstore-failed-at': attribute('2026-11-25T00:00:00Z'),
        ERROR_CODE: attribute('x'),
        ERROR_MESSAGE: attribute('y'),
        RULE_ARN: attribute('r'),
        TARGET_ARN: attribute('t'),
      },
    };
    expect(redriveAttributes(message)).toEqual({ traceparent: attribute('00-abc') });
    expect(redriveAttributes({ MessageAttributes: { ERROR_CODE: attribute('x') } })).toBeUndefined();
  });
});

describe('deadLetterQueuesOf', () => {
  const resource = (type: string, logicalId: string, physicalId = logicalId) => ({ type, logicalId, physicalId });
  const deployment = {
    regions: [
      {
        region: 'us-east-1',
        resources: [
          resource('AWS::SQS::Queue', 'InventoryConsumerDeadLettersQueueB843F790', 'https://q/inv-dlq'),
          resource('AWS::SQS::Queue', 'InventoryConsumerQueue5D03D21F', 'https://q/inv'),
          resource('AWS::SQS::Queue', 'InventoryRelayDeadLettersQueueA3A72835', 'https://q/inv-relay-dlq'),
          resource('AWS::DynamoDB::Table', 'InventoryTablesState3ABDAAA2', 'inventory-state'),
          resource('AWS::SQS::Queue', 'ForwardTouswest2ForwardingDeadLettersQueue2CAD26F3', 'https://q/fwd-dlq'),
          resource('AWS::SQS::Queue', 'ForwardTouswest2ForwardingQueueD04ACE30', 'https://q/fwd'),
          resource('AWS::SQS::Queue', 'OrdersDeadlinesSweeperDeadLettersQueueD1F9D976', 'https://q/sweep-dlq'),
          resource('AWS::Lambda::Function', 'OrdersDeadlinesSweeper54AB44FB', 'sweeper-fn'),
          resource('AWS::SQS::Queue', 'InvariantAuditorScheduleDeadLettersQueue828B4F5E', 'https://q/audit-dlq'),
          resource('AWS::Lambda::Function', 'InvariantAuditorFunction1C8DD739', 'auditor-fn'),
        ],
      },
    ],
  } as unknown as Deployment;

  it('finds each DLQ with its kind and where its messages go back to', () => {
    expect(deadLetterQueuesOf(deployment)).toEqual([
      { region: 'us-east-1', name: 'InventoryConsumerDeadLetters', kind: 'consumer', url: 'https://q/inv-dlq', sourceQueueUrl: 'https://q/inv' },
      { region: 'us-east-1', name: 'InventoryRelayDeadLetters', kind: 'outbox', url: 'https://q/inv-relay-dlq', tableName: 'inventory-state' },
      { region: 'us-east-1', name: 'ForwardTouswest2ForwardingDeadLetters', kind: 'forwarding', url: 'https://q/fwd-dlq', sourceQueueUrl: 'https://q/fwd' },
      { region: 'us-east-1', name: 'OrdersDeadlinesSweeperDeadLetters', kind: 'scheduled', url: 'https://q/sweep-dlq', functionName: 'sweeper-fn' },
      { region: 'us-east-1', name: 'InvariantAuditorScheduleDeadLetters', kind: 'scheduled', url: 'https://q/audit-dlq', functionName: 'auditor-fn' },
    ]);
  });

  it('selects by name in any spelling, by kind, or all', () => {
    const queues = deadLetterQueuesOf(deployment);
    expect(selectDeadLetterQueues(queues, 'inventory-consumer').map((queue) => queue.name)).toEqual(['InventoryConsumerDeadLetters']);
    expect(selectDeadLetterQueues(queues, 'InventoryConsumerDeadLetters')).toHaveLength(1);
    expect(selectDeadLetterQueues(queues, 'scheduled')).toHaveLength(2);
    expect(selectDeadLetterQueues(queues, 'all')).toHaveLength(5);
    expect(selectDeadLetterQueues(queues, 'nope')).toEqual([]);
  });
});

describe('replay', () => {
  it('delivers a pattern to the rules that accept its sources and detail types', () => {
    const rules = [
      { Name: 'inventory', Arn: 'arn:rule/inventory', EventPattern: JSON.stringify({ source: ['duckstore.orders'], 'detail-type': ['OrderPlaced', 'OrderCancelled'] }) },
      { Name: 'notifications', Arn: 'arn:rule/notifications', EventPattern: JSON.stringify({ source: ['duckstore.orders'], 'detail-type': ['OrderConfirmed', 'OrderCancelled'] }) },
      { Name: 'payments', Arn: 'arn:rule/payments', EventPattern: JSON.stringify({ source: ['duckstore.inventory'], 'detail-type': ['InventoryReserved'] }) },
      { Name: 'schedule', Arn: 'arn:rule/schedule' },
    ];
    expect(rulesFor(rules, { 'detail-type': ['OrderCancelled'] })).toEqual(['arn:rule/inventory', 'arn:rule/notifications']);
    expect(rulesFor(rules, { source: ['duckstore.inventory'] })).toEqual(['arn:rule/payments']);
    expect(rulesFor(rules, { 'detail-type': ['Nothing'] })).toEqual([]);
  });

  it('reads times as ISO, now, or an age', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    expect(timeFlag('from', '15m', now).toISOString()).toBe('2026-11-25T11:45:00.000Z');
    expect(timeFlag('from', '2h', now).toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(timeFlag('to', 'now', now)).toBe(now);
    expect(timeFlag('from', '2026-11-25T08:00:00Z', now).toISOString()).toBe('2026-11-25T08:00:00.000Z');
    expect(() => timeFlag('from', 'yesterday', now)).toThrow(/--from/);
    expect(replayCommand.name).toBe('replay');
  });
});
