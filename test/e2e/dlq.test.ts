import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { deadLetterQueuesOf, type DeadLetterQueueInfo } from '../../cli/dlq/catalog';
import { redrive } from '../../cli/dlq/redrive';
import { clearAllFaults, forwarderFunctionsOf, mappingOf, pauseConsumer, resumeConsumer, setFunctionFaults, setMappingEnabled } from '../../cli/faults';
import { main } from '../../cli/main';
import { listAuditRecords } from '../../cli/operations-audit';
import { connectClearingFaults, eventually } from './helpers/system';

/**
 * `duckstore dlq list|inspect|redrive` and `duckstore replay` on the deployed
 * system, one DLQ kind per test: a consumer DLQ holding an event EventBridge
 * could not deliver (ministack does not model rule-target DLQs, so the test
 * puts the message there as EventBridge would, with its error attributes), the
 * cross-region forwarding DLQ, and the outbox (rows the relay could not
 * publish). Each test pauses what it pauses, and sets faults, only inside
 * try/finally. About 60–90 s on the local cloud.
 */
const system = connectClearingFaults();

const customer = (label: string) => `e2e-dlq-${label}-${randomUUID().slice(0, 8)}`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the operator CLI in-process; returns its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await main(args, (line) => lines.push(line), (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

function dlq(name: string): DeadLetterQueueInfo {
  const found = deadLetterQueuesOf(system().deployment).find((queue) => queue.name === name);
  if (!found) throw new Error(`no DLQ ${name}`);
  return found;
}

/** Takes the message of an order from a queue (whose consumer is paused), or undefined. */
async function takeOrderMessage(sqs: SQSClient, queueUrl: string, orderId: string, timeoutMs = 30_000): Promise<Message | undefined> {
  return eventually(async () => {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 10, WaitTimeSeconds: 1 }));
    // Other orders' messages are left alone: visible again after 10 s, for the consumer once it resumes.
    return Messages.find((message) => message.Body?.includes(orderId));
  }, timeoutMs);
}

/** Lines the local cloud's functions logged with both strings (ministack writes every function's output to its log). */
function logLines(...parts: string[]): number | undefined {
  if (system().deployment.target.name !== 'local') return undefined;
  const port = new URL(process.env.DUCKSTORE_ENDPOINT ?? 'http://127.0.0.1:4566').port || '4566';
  const log = port === '4566' ? '.local/ministack.log' : `.local/port-${port}/ministack.log`;
  if (!existsSync(log)) return undefined;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => parts.every((part) => line.includes(part))).length;
}

describe('dlq list', () => {
  it('lists every DLQ of every kind in both regions, with depth', async () => {
    const { code, output } = await cli('--json', 'dlq', 'list');
    expect(code).toBe(0);
    const { queues } = JSON.parse(output) as { queues: { region: string; kind: string; visible: number }[] };
    expect(new Set(queues.map((queue) => queue.kind))).toEqual(new Set(['consumer', 'forwarding', 'outbox', 'scheduled']));
    expect(new Set(queues.map((queue) => queue.region)).size).toBe(system().deployment.regions.length);
    expect(queues.every((queue) => typeof queue.visible === 'number')).toBe(true);
  });
});

describe('consumer DLQ', () => {
  it('inspects an undeliverable event by reason, and redrives it through a crash between send and delete without a second notification', async () => {
    const notifications = dlq('NotificationsConsumerDeadLetters');
    const sqs = new SQSClient(system().deployment.target.aws(notifications.region));
    let orderId = '';
    await pauseConsumer(system().deployment, 'notifications');
    try {
      ({ orderId } = await system().api.placeOrder({ customerId: customer('rule'), items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] }));
      expect((await system().api.waitForTerminal(orderId, { timeoutMs: 60_000 })).status).toBe('CONFIRMED');
      const message = await takeOrderMessage(sqs, notifications.sourceQueueUrl!, orderId);
      expect(message, 'the OrderConfirmed waits in the paused queue').toBeDefined();
      // As EventBridge parks an event its rule target refused: the event as body, the error as attributes.
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: notifications.url,
          MessageBody: message!.Body!,
          MessageAttributes: {
            ERROR_CODE: { DataType: 'String', StringValue: 'SQS.AccessDenied' },
            ERROR_MESSAGE: { DataType: 'String', StringValue: 'Access to the queue was denied' },
            RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:us-east-1:000000000000:rule/duckstore/NotificationsConsumerRule' },
            TARGET_ARN: { DataType: 'String', StringValue: 'arn:aws:sqs:us-east-1:000000000000:NotificationsConsumerQueue' },
          },
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: notifications.sourceQueueUrl, ReceiptHandle: message!.ReceiptHandle }));
    } finally {
      await resumeConsumer(system().deployment, 'notifications');
    }

    const inspected = await cli('--json', 'dlq', 'inspect', 'NotificationsConsumerDeadLetters');
    expect(inspected.code).toBe(0);
    const [report] = (JSON.parse(inspected.output) as { queues: { messages: number; groups: { origin: string; reason: string; eventTypes: string[]; example: { event: { detail: { metadata: { correlationId: string } } } } }[] }[] }).queues;
    expect(report!.messages).toBe(1);
    expect(report!.groups[0]).toMatchObject({ origin: 'rule-target', eventTypes: ['OrderConfirmed'] });
    expect(report!.groups[0]!.reason).toContain('SQS.AccessDenied');
    expect(report!.groups[0]!.example.event.detail.metadata.correlationId).toBe(orderId);

    const dryRun = await cli('--json', 'dlq', 'redrive', 'NotificationsConsumerDeadLetters', '--dry-run', '--order', orderId);
    expect((JSON.parse(dryRun.output) as { outcomes: { matched: number; moved: number }[] }).outcomes[0]).toMatchObject({ matched: 1, moved: 0 });

    // A redrive that dies after sending the copy and before deleting the original: the original stays (nothing lost).
    await expect(
      redrive(system().deployment, notifications, {
        filter: { orderId },
        dryRun: false,
        visibilitySeconds: 2,
        afterSend: () => Promise.reject(new Error('operator laptop crashed')),
      }),
    ).rejects.toThrow('crashed');
    const notified = await eventually(async () => ((await system().row('notifications', `NOTIFICATION#${orderId}#CONFIRMED`)) ? true : undefined), 30_000);
    expect(notified, 'the copy sent before the crash was delivered').toBe(true);

    // Running the redrive again moves the original too: a duplicate, which the consumer's idempotency absorbs.
    await pause(2_500);
    const again = await cli('--json', 'dlq', 'redrive', 'NotificationsConsumerDeadLetters', '--order', orderId, '--rate', '5', '--actor', 'e2e-dlq');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.output) as { outcomes: { moved: number; method: string }[] }).outcomes[0]).toMatchObject({ moved: 1 });
    await system().drained(60_000);
    expect(await system().rows('notifications', (row) => String(row.pk).startsWith(`NOTIFICATION#${orderId}#`))).toHaveLength(1);
    const sent = logLines('"notification sent"', orderId);
    if (sent !== undefined) expect(sent, 'one notification sent, though the event was delivered twice').toBe(1);

    const records = await listAuditRecords(system().deployment, notifications.region);
    expect(records.filter((record) => record.action === 'dlq-redrive' && record.subject === 'NotificationsConsumerDeadLetters' && record.actor === 'e2e-dlq' && !record.dryRun)).toContainEqual(
      expect.objectContaining({ count: 1, target: system().deployment.target.name }),
    );
  });
});

describe('forwarding DLQ', () => {
  it('redrives an event that never crossed to the other region, and the saga completes', async () => {
    const primaryForwarder = forwarderFunctionsOf(system().deployment).find((fn) => fn.region === system().region('orders'))!;
    const mapping = await mappingOf(system().deployment, primaryForwarder.region, primaryForwarder.functionName);
    const forwarding = deadLetterQueuesOf(system().deployment).find((queue) => queue.kind === 'forwarding' && queue.region === primaryForwarder.region)!;
    const sqs = new SQSClient(system().deployment.target.aws(forwarding.region));
    let orderId = '';
    await setMappingEnabled(system().deployment, primaryForwarder.region, mapping, false);
    try {
      ({ orderId } = await system().api.placeOrder({ customerId: customer('fwd'), items: [{ sku: 'DUCK-PIRATE', quantity: 1 }] }));
      const message = await takeOrderMessage(sqs, forwarding.sourceQueueUrl!, orderId);
      expect(message, 'the InventoryReserved waits to be forwarded').toBeDefined();
      // As the redrive policy moves a message after its receives ran out: the body as it was, no attributes.
      await sqs.send(new SendMessageCommand({ QueueUrl: forwarding.url, MessageBody: message!.Body! }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: forwarding.sourceQueueUrl, ReceiptHandle: message!.ReceiptHandle }));
    } finally {
      await setMappingEnabled(system().deployment, primaryForwarder.region, mapping, true);
    }
    const { code, output } = await cli('--json', 'dlq', 'redrive', 'forwarding', '--region', forwarding.region, '--event-type', 'InventoryReserved');
    expect(code).toBe(0);
    expect((JSON.parse(output) as { outcomes: { moved: number; eventTypes: Record<string, number> }[] }).outcomes[0]).toMatchObject({ moved: 1, eventTypes: { InventoryReserved: 1 } });
    const order = await system().api.waitForTerminal(orderId, { timeoutMs: 60_000 });
    // Within the saga deadline it confirms; either way the payment saw the event and the audit is left consistent.
    expect(['CONFIRMED', 'CANCELLED']).toContain(order.status);
    expect(await system().ledger(orderId)).not.toHaveLength(0);
  });
});

describe('outbox', () => {
  it('re-publishes an outbox row the relay could not publish, and the order goes on', async () => {
    const relayDlq = dlq('OrdersRelayDeadLetters');
    let orderId = '';
    try {
      // EventBridge refuses every OrderPlaced of the orders relay, on every attempt: the relay gives up and the row stays.
      await setFunctionFaults(system().deployment, [{ kind: 'putevents-partial-failure', target: 'orders-relay', eventType: 'OrderPlaced', rate: 1 }]);
      await pause(2_500);
      ({ orderId } = await system().api.placeOrder({ customerId: customer('outbox'), items: [{ sku: 'DUCK-NINJA', quantity: 1 }] }));
      await pause(6_000);
    } finally {
      await clearAllFaults(system().deployment);
    }
    const stranded = await system().rows('orders', (row) => row.kind === 'outbox' && row.correlationId === orderId);
    expect(stranded.map((row) => row.detailType), 'the OrderPlaced row is still unpublished').toEqual(['OrderPlaced']);
    expect(await system().row('inventory', `RESERVATION#${orderId}`)).toBeUndefined();

    const inspected = await cli('--json', 'dlq', 'inspect', 'OrdersRelayDeadLetters');
    expect((JSON.parse(inspected.output) as { queues: { unpublishedRows: { orderId: string }[] }[] }).queues[0]!.unpublishedRows.map((row) => row.orderId)).toContain(orderId);

    const { code, output } = await cli('--json', 'dlq', 'redrive', 'OrdersRelayDeadLetters', '--older-than', '0', '--order', orderId);
    expect(code).toBe(0);
    expect((JSON.parse(output) as { outcomes: { moved: number; method: string }[] }).outcomes[0]).toMatchObject({ moved: 1, method: 'outbox-republish' });
    expect(await system().rows('orders', (row) => row.kind === 'outbox' && row.correlationId === orderId)).toHaveLength(0);
    expect((await system().api.waitForTerminal(orderId, { timeoutMs: 60_000 })).status).toBe('CONFIRMED');
    const records = await listAuditRecords(system().deployment, relayDlq.region);
    expect(records.some((record) => record.subject === 'OrdersRelayDeadLetters' && record.count === 1 && !record.dryRun)).toBe(true);
  });
});

describe('replay', () => {
  it("replays a window of the archive to the consumers, which absorb what they had already handled", async () => {
    const from = new Date(Date.now() - 1_000);
    const { orderId } = await system().api.placeOrder({ customerId: customer('replay'), items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] });
    expect((await system().api.waitForTerminal(orderId, { timeoutMs: 60_000 })).status).toBe('CONFIRMED');
    await eventually(async () => ((await system().row('notifications', `NOTIFICATION#${orderId}#CONFIRMED`)) ? true : undefined), 30_000);
    const to = new Date(Date.now() + 1_000);
    const notifications = dlq('NotificationsConsumerDeadLetters');
    const sqs = new SQSClient(system().deployment.target.aws(notifications.region));

    let replayed: Message | undefined;
    await pauseConsumer(system().deployment, 'notifications');
    try {
      const { code, output } = await cli('--json', '--region', notifications.region, 'replay', '--from', from.toISOString(), '--to', to.toISOString(), '--pattern', '{"detail-type":["OrderConfirmed"]}', '--actor', 'e2e-replay');
      expect(code, output).toBe(0);
      expect((JSON.parse(output) as { outcomes: { state: string }[] }).outcomes[0]!.state).toBe('COMPLETED');
      replayed = await takeOrderMessage(sqs, notifications.sourceQueueUrl!, orderId);
      expect(replayed, 'the replayed OrderConfirmed reached the notifications queue again').toBeDefined();
      // Handed back: the consumer gets it when it resumes.
      await sqs.send(new SendMessageCommand({ QueueUrl: notifications.sourceQueueUrl, MessageBody: replayed!.Body! }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: notifications.sourceQueueUrl, ReceiptHandle: replayed!.ReceiptHandle }));
    } finally {
      await resumeConsumer(system().deployment, 'notifications');
    }
    await system().drained(60_000);
    expect(await system().rows('notifications', (row) => String(row.pk).startsWith(`NOTIFICATION#${orderId}#`))).toHaveLength(1);
    const sent = logLines('"notification sent"', orderId);
    if (sent !== undefined) expect(sent).toBe(1);
    const records = await listAuditRecords(system().deployment, notifications.region);
    expect(records.some((record) => record.action === 'replay' && record.actor === 'e2e-replay')).toBe(true);
  });
});
