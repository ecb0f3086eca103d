import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { deadLetterAttributes } from '#shared/dead-letter';

/** Attributes EventBridge puts on an event it could not deliver to a rule target's queue. */
export const eventBridgeErrorAttributes = ['ERROR_CODE', 'ERROR_MESSAGE', 'RULE_ARN', 'TARGET_ARN'] as const;

/** Attributes that only describe the failure: a redriven copy must not carry them (the consumer would see a stale reason). */
export const deadLetterOnlyAttributes: ReadonlySet<string> = new Set([...Object.values(deadLetterAttributes), ...eventBridgeErrorAttributes]);

/** How a message got into its DLQ, which decides how it is read and redriven. */
export type DeadLetterOrigin =
  /** The consumer parked it itself (poison, a permanent failure): `duckstore-reason`. */
  | 'parked'
  /** EventBridge could not deliver it to the rule target: ERROR_CODE / ERROR_MESSAGE. */
  | 'rule-target'
  /** The queue's redrive policy moved it after maxReceiveCount failed receives. */
  | 'receives-exhausted'
  /** A stream mapping gave up on a batch: metadata only (shard, sequence numbers). */
  | 'stream-failure';

/** The event inside a dead-lettered message, if there is one. */
export interface DeadLetteredEvent {
  eventId?: string;
  type?: string;
  orderId?: string;
  /** The EventBridge event, or the outbox row (source, detailType, detail). */
  body: unknown;
}

export interface DeadLetteredMessage {
  messageId: string;
  receiptHandle: string;
  origin: DeadLetterOrigin;
  /** One line: the parked reason, EventBridge's error, or the receive count. */
  reason: string;
  receiveCount: number;
  sentAt: string | undefined;
  event: DeadLetteredEvent | undefined;
  /** Raw message, for the redrive. */
  raw: Message;
}

const stringAttribute = (message: Message, name: string): string | undefined => message.MessageAttributes?.[name]?.StringValue;

function parse(body: string | undefined): unknown {
  try {
    return body ? (JSON.parse(body) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The event of a body: an EventBridge event (`detail` = envelope), or an
 * outbox row the relay parked (`detail` is the serialized envelope). A stream
 * on-failure notice has no event.
 */
export function eventOf(body: unknown): DeadLetteredEvent | undefined {
  if (!isObject(body)) return undefined;
  let detail: unknown = body.detail;
  if (typeof detail === 'string') detail = parse(detail);
  if (!isObject(detail) || !isObject(detail.metadata)) return undefined;
  const metadata = detail.metadata;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const event: DeadLetteredEvent = { body };
  const eventId = text(metadata.eventId);
  const type = text(metadata.type) ?? text(body['detail-type']) ?? text(body.detailType);
  const orderId = text(metadata.correlationId);
  if (eventId) event.eventId = eventId;
  if (type) event.type = type;
  if (orderId) event.orderId = orderId;
  return event;
}

/** Reads one message of a DLQ: why it is there and which event it holds. */
export function classify(message: Message): DeadLetteredMessage {
  const body = parse(message.Body);
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 0);
  const parkedReason = stringAttribute(message, deadLetterAttributes.reason);
  const errorCode = stringAttribute(message, 'ERROR_CODE');
  let origin: DeadLetterOrigin;
  let reason: string;
  if (parkedReason !== undefined) {
    origin = 'parked';
    reason = parkedReason;
  } else if (errorCode !== undefined) {
    origin = 'rule-target';
    reason = `EventBridge could not deliver: ${errorCode} ${stringAttribute(message, 'ERROR_MESSAGE') ?? ''}`.trim();
  } else if (isObject(body) && (isObject(body.DDBStreamBatchInfo) || isObject(body.requestContext))) {
    origin = 'stream-failure';
    const condition = isObject(body.requestContext) ? String(body.requestContext.condition ?? '') : '';
    reason = `stream batch failed${condition ? `: ${condition}` : ''}`;
  } else {
    origin = 'receives-exhausted';
    reason = 'receives exhausted (transient failures on every attempt)';
  }
  const sentTimestamp = message.Attributes?.SentTimestamp;
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    origin,
    reason,
    receiveCount,
    sentAt: sentTimestamp ? new Date(Number(sentTimestamp)).toISOString() : undefined,
    event: eventOf(body),
    raw: message,
  };
}

/** The reasons, shortened to what is shared (ids and numbers out), so similar failures group together. */
export function reasonGroup(reason: string): string {
  return reason
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\d+/g, '<n>')
    .slice(0, 160);
}

export interface MessageFilter {
  /** Case-insensitive substring of the reason. */
  reason?: string;
  /** Detail type of the event, e.g. `InventoryReserved`. */
  eventType?: string;
  orderId?: string;
  origin?: DeadLetterOrigin;
}

export function matches(message: DeadLetteredMessage, filter: MessageFilter): boolean {
  if (filter.reason !== undefined && !message.reason.toLowerCase().includes(filter.reason.toLowerCase())) return false;
  if (filter.eventType !== undefined && message.event?.type !== filter.eventType) return false;
  if (filter.orderId !== undefined && message.event?.orderId !== filter.orderId) return false;
  if (filter.origin !== undefined && message.origin !== filter.origin) return false;
  return true;
}

export const isEmptyFilter = (filter: MessageFilter): boolean => Object.values(filter).every((value) => value === undefined);

/** The attributes a redriven copy keeps: everything downstream may read, without the failure's own. */
export function redriveAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const kept = Object.entries(message.MessageAttributes ?? {}).filter(([name]) => !deadLetterOnlyAttributes.has(name));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Messages grouped by reason, largest group first, with the event types seen in each. */
export function groupByReason(messages: DeadLetteredMessage[]): { reason: string; origin: DeadLetterOrigin; count: number; eventTypes: string[]; example: DeadLetteredMessage }[] {
  const groups = new Map<string, { reason: string; origin: DeadLetterOrigin; count: number; eventTypes: Set<string>; example: DeadLetteredMessage }>();
  for (const message of messages) {
    const key = `${message.origin}|${reasonGroup(message.reason)}`;
    const group = groups.get(key) ?? { reason: reasonGroup(message.reason), origin: message.origin, count: 0, eventTypes: new Set<string>(), example: message };
    group.count++;
    if (message.event?.type) group.eventTypes.add(message.event.type);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count).map((group) => ({ ...group, eventTypes: [...group.eventTypes].sort() }));
}
