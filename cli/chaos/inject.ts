import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ContextName } from '#contracts/envelope';
import { OrderPlaced } from '#contracts/events';
import type { OrderLine } from '#contracts/primitives';
import { subscriptions } from '#contracts/subscriptions';
import { deadLetterAttributes } from '#shared/dead-letter';
import { eventBridgeMessageBody } from '#shared/eventbridge-message';
import { regionOf } from '../../lib/topology';
import { regionDeploymentOf, type Deployment } from '../deployment';
import { readRows, type PlacedOrder } from './load';

/**
 * Faults the runner injects itself, with plain SQS calls as any producer
 * would: at-least-once delivery (the same event twice) and poison messages.
 */

const capitalized = (context: ContextName) => `${context[0]!.toUpperCase()}${context.slice(1)}`;

/** A context's consumer queue (`Consumer`) or its DLQ (`ConsumerDeadLetters`), found in its stack. */
export function consumerQueueUrl(deployment: Deployment, context: ContextName, suffix: 'Consumer' | 'ConsumerDeadLetters'): string {
  const prefix = `${capitalized(context)}${suffix}`;
  const region = regionDeploymentOf(deployment, context);
  const queue = region.resources.find((resource) => resource.type === 'AWS::SQS::Queue' && new RegExp(`^${prefix}Queue[0-9A-F]{8}$`).test(resource.logicalId));
  if (!queue) throw new Error(`no queue ${prefix} in ${region.stackName}`);
  return queue.physicalId;
}

const sqsOf = (deployment: Deployment, context: ContextName) => new SQSClient(deployment.target.aws(regionOf(deployment.topology, context)));

async function send(deployment: Deployment, context: ContextName, bodies: string[]): Promise<void> {
  const sqs = sqsOf(deployment, context);
  try {
    for (let start = 0; start < bodies.length; start += 10) {
      const entries = bodies.slice(start, start + 10).map((MessageBody, index) => ({ Id: String(index), MessageBody }));
      const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: consumerQueueUrl(deployment, context, 'Consumer'), Entries: entries }));
      if (Failed.length > 0) throw new Error(`SendMessageBatch to the ${context} queue failed for ${Failed.length} message(s): ${Failed[0]?.Message}`);
    }
  } finally {
    sqs.destroy();
  }
}

/**
 * Delivers a copy of the OrderPlaced of each of `orders` (rebuilt from its
 * row, with a fresh eventId) `copies` times to the inventory queue, while the
 * original may still be in flight. Both kinds of duplicate meet the consumer:
 * the same eventId several times (Powertools idempotency) and a second
 * event about the same order (conditional writes). One reservation per order
 * must result, and stock must balance.
 */
export async function deliverDuplicates(deployment: Deployment, orders: PlacedOrder[], copies: number): Promise<{ orders: number; messages: number }> {
  const rows = await readRows(deployment, 'orders', orders.map((order) => `ORDER#${order.orderId}`));
  const bodies: string[] = [];
  const region = regionOf(deployment.topology, 'orders');
  for (const order of orders) {
    const row = rows.get(`ORDER#${order.orderId}`) as { customerId: string; lines: OrderLine[]; total: { amountCents: number; currency: 'USD' }; deadline: string } | undefined;
    if (!row) continue;
    const detail = OrderPlaced.detail.parse({
      metadata: {
        eventId: randomUUID(),
        type: OrderPlaced.detailType,
        version: OrderPlaced.version,
        occurredAt: new Date().toISOString(),
        correlationId: order.orderId,
        causationId: `chaos-duplicate-${order.orderId}`,
        originRegion: region,
      },
      data: { orderId: order.orderId, customerId: row.customerId, lines: row.lines, total: row.total, deadline: row.deadline },
    });
    for (let copy = 0; copy < copies; copy++) bodies.push(eventBridgeMessageBody(OrderPlaced, detail, region));
  }
  await send(deployment, 'inventory', bodies);
  return { orders: bodies.length / copies, messages: bodies.length };
}

/** A poison message: the first event `context` consumes, with an eventId that is no UUID. Marked so it can be found again. */
export function poisonBody(context: ContextName, marker: string): string {
  const contract = subscriptions[context][0];
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': contract.detailType,
    source: contract.source,
    time: new Date().toISOString(),
    region: 'chaos',
    resources: [],
    detail: { metadata: { eventId: `poison-${marker}`, type: contract.detailType }, data: { orderId: `poison-${marker}` } },
  });
}

export interface InjectedPoison {
  context: ContextName;
  marker: string;
  body: string;
}

/** Sends `count` poison messages to each context's consumer queue. */
export async function injectPoison(deployment: Deployment, contexts: ContextName[], count: number): Promise<InjectedPoison[]> {
  const injected: InjectedPoison[] = [];
  for (const context of contexts) {
    const batch = Array.from({ length: count }, () => {
      const marker = randomUUID();
      return { context, marker, body: poisonBody(context, marker) };
    });
    await send(deployment, context, batch.map((poison) => poison.body));
    injected.push(...batch);
  }
  return injected;
}

export interface DeadLetteredPoison extends InjectedPoison {
  /** `duckstore-reason` of the dead-lettered message; undefined if it never arrived. */
  reason: string | undefined;
  component: string | undefined;
}

/**
 * Waits for each injected poison message in its context's DLQ, reads its
 * reason, and deletes it, as the DLQ runbook does for a message that can
 * never succeed: the DLQs must be empty for the audit afterwards. Messages of
 * other origin are left alone (they become visible again after 5 s).
 */
export async function collectPoison(deployment: Deployment, injected: InjectedPoison[], timeoutMs = 60_000): Promise<DeadLetteredPoison[]> {
  const results = new Map<string, DeadLetteredPoison>();
  const deadline = Date.now() + timeoutMs;
  for (const context of new Set(injected.map((poison) => poison.context))) {
    const wanted = new Map(injected.filter((poison) => poison.context === context).map((poison) => [poison.body, poison]));
    const sqs = sqsOf(deployment, context);
    const url = consumerQueueUrl(deployment, context, 'ConsumerDeadLetters');
    try {
      while (wanted.size > 0 && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 5, MessageAttributeNames: ['All'] }));
        for (const message of Messages) {
          const poison = wanted.get(message.Body ?? '');
          if (!poison) continue;
          wanted.delete(poison.body);
          results.set(poison.marker, {
            ...poison,
            reason: message.MessageAttributes?.[deadLetterAttributes.reason]?.StringValue,
            component: message.MessageAttributes?.[deadLetterAttributes.component]?.StringValue,
          });
          await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle! }));
        }
      }
    } finally {
      sqs.destroy();
    }
  }
  return injected.map((poison) => results.get(poison.marker) ?? { ...poison, reason: undefined, component: undefined });
}
