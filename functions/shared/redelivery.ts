import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { sqs } from './aws-clients';
import { logger } from './powertools';
import { redeliveryDelaySeconds, type RedeliveryBackoff } from './resilience/redelivery-backoff';

/**
 * Sets the visibility of each record of `records` whose message id is in
 * `failedIds` (what the handler reports as batch item failures) to its backoff (ChangeMessageVisibility
 * with the receipt handle the event source mapping received it with; the
 * mapping leaves failed records alone, on AWS as locally). Best effort and
 * never throws: a record it cannot change comes back after the queue's
 * visibility timeout, as it would without this, so nothing is lost.
 */
export async function delayRedeliveries(
  queueUrl: string,
  records: readonly SQSRecord[],
  failedIds: Iterable<string>,
  backoff: () => RedeliveryBackoff | undefined,
  random: () => number = Math.random,
): Promise<void> {
  const ids = new Set(failedIds);
  const failed = records.filter((record) => ids.has(record.messageId));
  if (failed.length === 0) return;
  // Read once there is something to delay: the payments consumer's backoff asks its breaker.
  const settings = backoff();
  if (!settings) return;
  const entries = failed.map((record, index) => ({
    Id: String(index),
    ReceiptHandle: record.receiptHandle,
    VisibilityTimeout: redeliveryDelaySeconds(Number(record.attributes.ApproximateReceiveCount ?? 1), settings, random),
  }));
  const delaysSeconds: number[] = [];
  for (let start = 0; start < entries.length; start += 10) {
    const chunk = entries.slice(start, start + 10);
    try {
      const { Failed = [] } = await sqs().send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: chunk }));
      if (Failed.length > 0) logger.warn('redelivery backoff not set for some messages: they return after the visibility timeout', { failed: Failed });
      const notSet = new Set(Failed.map((failure) => failure.Id));
      delaysSeconds.push(...chunk.filter((entry) => !notSet.has(entry.Id)).map((entry) => entry.VisibilityTimeout));
    } catch (error) {
      logger.warn('redelivery backoff not set: the messages return after the visibility timeout', { error, messages: chunk.length });
    }
  }
  if (delaysSeconds.length > 0) logger.info('redelivery delayed', { delaysSeconds });
}

/**
 * Puts a copy of `record` back on its queue as a new message (receive count
 * 0, the same body and attributes, visible after `delaySeconds`), so the
 * caller can report the original as processed. For a record that failed only
 * because a dependency is down and that is one receive from its DLQ: a
 * dependency outage, however long, must park nothing in a DLQ. The copy
 * carries the same envelope eventId, so a copy that is applied twice (the
 * original's deletion failed) is absorbed by the consumer's idempotency.
 * Throws when SQS refuses: the original then fails as usual and nothing is lost.
 */
export async function requeueFresh(queueUrl: string, record: SQSRecord, delaySeconds: number): Promise<void> {
  const MessageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    MessageAttributes[name] = {
      DataType: value.dataType,
      ...(value.stringValue !== undefined ? { StringValue: value.stringValue } : {}),
      ...(value.binaryValue !== undefined ? { BinaryValue: Buffer.from(value.binaryValue, 'base64') } : {}),
    };
  }
  const traceHeader = record.attributes.AWSTraceHeader;
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: record.body,
      DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))),
      ...(Object.keys(MessageAttributes).length > 0 ? { MessageAttributes } : {}),
      ...(traceHeader ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } } } : {}),
    }),
  );
  logger.info('requeued as a fresh message: it failed only because a dependency is down, one receive before its DLQ', {
    messageId: record.messageId,
    receiveCount: record.attributes.ApproximateReceiveCount,
    delaySeconds,
  });
}

/** Whether a failed record is on its last receive before the DLQ (one before, so an approximate count cannot miss it). */
export const onLastReceive = (record: SQSRecord, maxReceiveCount: number | undefined): boolean =>
  maxReceiveCount !== undefined && Number(record.attributes.ApproximateReceiveCount ?? 1) >= maxReceiveCount - 1;
