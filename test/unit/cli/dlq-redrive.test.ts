import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { redriveQueue } from '../../../cli/dlq/sqs-redrive';

interface Stored {
  id: string;
  body: string;
  attributes: Record<string, { DataType: string; StringValue: string }>;
  invisible: boolean;
}

/** Two in-memory queues behind the SQS calls the redrive makes; `failSendOf` makes SendMessageBatch fail those bodies. */
function fakeSqs(dlqBodies: { body: string; attributes?: Stored['attributes'] }[], options: { failSendOf?: string[]; moveTask?: boolean } = {}) {
  const queues: { dlq: Stored[]; target: Stored[] } & Record<string, Stored[]> = {
    dlq: dlqBodies.map((entry, index) => ({ id: `d${index}`, body: entry.body, attributes: entry.attributes ?? {}, invisible: false })),
    target: [],
  };
  const calls: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      const input = command.input as { QueueUrl: string; Entries: { Id: string; MessageBody?: string; MessageAttributes?: Stored['attributes']; ReceiptHandle?: string; VisibilityTimeout?: number }[]; MaxNumberOfMessages?: number };
      calls.push(name);
      switch (name) {
        case 'StartMessageMoveTaskCommand':
          if (!options.moveTask) throw Object.assign(new Error('The action StartMessageMoveTask is not valid for this endpoint.'), { name: 'InvalidAction' });
          return { TaskHandle: 'task-1' };
        case 'ListMessageMoveTasksCommand':
          return { Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 }] };
        case 'GetQueueAttributesCommand':
          return { Attributes: { QueueArn: `arn:${input.QueueUrl}`, ApproximateNumberOfMessages: String(queues[input.QueueUrl]!.length) } };
        case 'ReceiveMessageCommand': {
          const visible = queues[input.QueueUrl]!.filter((message) => !message.invisible).slice(0, input.MaxNumberOfMessages ?? 1);
          visible.forEach((message) => (message.invisible = true));
          return { Messages: visible.map((message) => ({ MessageId: message.id, ReceiptHandle: message.id, Body: message.body, MessageAttributes: message.attributes })) };
        }
        case 'SendMessageBatchCommand': {
          const Successful = [];
          const Failed = [];
          for (const entry of input.Entries) {
            if (options.failSendOf?.includes(entry.MessageBody!)) {
              Failed.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false });
              continue;
            }
            queues[input.QueueUrl]!.push({ id: `t${queues[input.QueueUrl]!.length}`, body: entry.MessageBody!, attributes: entry.MessageAttributes ?? {}, invisible: false });
            Successful.push({ Id: entry.Id });
          }
          return { Successful, Failed };
        }
        case 'DeleteMessageBatchCommand':
          queues[input.QueueUrl] = queues[input.QueueUrl]!.filter((message) => !input.Entries.some((entry) => entry.ReceiptHandle === message.id));
          return { Successful: input.Entries.map((entry) => ({ Id: entry.Id })) };
        case 'ChangeMessageVisibilityBatchCommand':
          for (const entry of input.Entries) {
            const message = queues[input.QueueUrl]!.find((candidate) => candidate.id === entry.ReceiptHandle);
            if (message) message.invisible = false;
          }
          return {};
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  return { client: client as unknown as SQSClient, queues, calls };
}

const event = (type: string, orderId: string) => JSON.stringify({ 'detail-type': type, detail: { metadata: { eventId: `e-${orderId}`, type, correlationId: orderId }, data: {} } });
const reason = (text: string) => ({ 'duckstore-reason': { DataType: 'String', StringValue: text }, traceparent: { DataType: 'String', StringValue: '00-1' } });

describe('redriveQueue (receive, send, delete)', () => {
  it('moves every message back, sending before deleting, without the failure attributes', async () => {
    const bodies = Array.from({ length: 23 }, (_, index) => ({ body: event('OrderPlaced', `o-${index}`), attributes: reason('timeout') }));
    const { client, queues, calls } = fakeSqs(bodies);
    const result = await redriveQueue(client, 'dlq', 'target', { filter: {}, dryRun: false });
    expect(result).toMatchObject({ method: 'receive-send-delete', matched: 23, moved: 23, failed: 0, eventTypes: { OrderPlaced: 23 } });
    expect(queues.dlq).toEqual([]);
    expect(queues.target.map((message) => message.body).sort()).toEqual(bodies.map((entry) => entry.body).sort());
    expect(queues.target.every((message) => Object.keys(message.attributes).join() === 'traceparent')).toBe(true);
    expect(calls.indexOf('SendMessageBatchCommand')).toBeLessThan(calls.indexOf('DeleteMessageBatchCommand'));
  });

  it('keeps in the DLQ, visible again, what did not match and what could not be sent', async () => {
    const { client, queues } = fakeSqs([{ body: event('OrderPlaced', 'o-1') }, { body: event('OrderCancelled', 'o-2') }, { body: event('OrderPlaced', 'o-3') }], { failSendOf: [event('OrderPlaced', 'o-3')] });
    const result = await redriveQueue(client, 'dlq', 'target', { filter: { eventType: 'OrderPlaced' }, dryRun: false });
    expect(result).toMatchObject({ matched: 2, moved: 1, failed: 1, skipped: 1 });
    expect(queues.dlq.map((message) => [message.body, message.invisible])).toEqual([
      [event('OrderCancelled', 'o-2'), false],
      [event('OrderPlaced', 'o-3'), false],
    ]);
    expect(queues.target.map((message) => message.body)).toEqual([event('OrderPlaced', 'o-1')]);
  });

  it('moves nothing in a dry run, and counts what would move', async () => {
    const { client, queues } = fakeSqs([{ body: event('OrderPlaced', 'o-1') }, { body: event('OrderPlaced', 'o-2') }]);
    const result = await redriveQueue(client, 'dlq', 'target', { filter: {}, dryRun: true });
    expect(result).toMatchObject({ matched: 2, moved: 0 });
    expect(queues.target).toEqual([]);
    expect(queues.dlq.every((message) => !message.invisible)).toBe(true);
  });

  it('leaves the original in place when the run dies between send and delete (a duplicate, never a loss)', async () => {
    const { client, queues } = fakeSqs([{ body: event('OrderPlaced', 'o-1') }]);
    await expect(redriveQueue(client, 'dlq', 'target', { filter: {}, dryRun: false, afterSend: () => Promise.reject(new Error('crash')) })).rejects.toThrow('crash');
    expect(queues.dlq.map((message) => message.body)).toEqual([event('OrderPlaced', 'o-1')]);
    expect(queues.target.map((message) => message.body)).toEqual([event('OrderPlaced', 'o-1')]);
  });

  it('paces batches to the rate limit and stops at the limit', async () => {
    const waits: number[] = [];
    const { client, queues } = fakeSqs(Array.from({ length: 25 }, (_, index) => ({ body: event('OrderPlaced', `o-${index}`) })));
    const result = await redriveQueue(client, 'dlq', 'target', { filter: {}, dryRun: false, ratePerSecond: 5, limit: 12, sleep: async (ms) => void waits.push(ms) });
    expect(result.moved).toBe(12);
    expect(queues.dlq).toHaveLength(13);
    expect(waits.length).toBe(2);
    expect(waits[0]).toBeGreaterThan(1_500);
  });

  it('asks SQS for a move task when the whole DLQ goes back and the target supports it', async () => {
    const { client, calls } = fakeSqs([{ body: event('OrderPlaced', 'o-1') }], { moveTask: true });
    expect(await redriveQueue(client, 'dlq', 'target', { filter: {}, dryRun: false, sleep: async () => undefined })).toMatchObject({ method: 'message-move-task', moveTaskHandle: 'task-1', matched: 1, moved: 1, failed: 0 });
    expect(calls).not.toContain('SendMessageBatchCommand');
  });
});
