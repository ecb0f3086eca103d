import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { FailedEntry } from '#shared/publish-events';

export interface ForwardPorts {
  /** ARN of the event bus in the other region. */
  targetBusArn: string;
  publish: (entries: PutEventsRequestEntry[]) => Promise<FailedEntry[]>;
  deadLetter: (body: string, reason: string) => Promise<void>;
}

const forwardedEventSchema = z.object({
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  detail: z.object({ metadata: z.object({ eventId: z.string(), traceHeader: z.string().optional() }).loose() }).loose(),
});

/**
 * Forwards one SQS batch of local events to the other region's bus. The queue
 * in front of this function is the durable buffer: while the other region is
 * unreachable, messages wait (then move to the DLQ, from which they are
 * redriven); nothing is dropped. Returns the SQS message ids to retry.
 */
export async function forward(records: SQSRecord[], ports: ForwardPorts): Promise<string[]> {
  const accepted: { messageId: string; entry: PutEventsRequestEntry }[] = [];
  for (const record of records) {
    let parsed: z.infer<typeof forwardedEventSchema>;
    try {
      parsed = forwardedEventSchema.parse(JSON.parse(record.body));
    } catch (error) {
      await ports.deadLetter(record.body, `cannot forward: ${(error as Error).message.slice(0, 500)}`);
      continue;
    }
    // The hop that delivered it (EventBridge → SQS) where the platform carries one, else the producer's.
    const traceHeader = record.attributes?.AWSTraceHeader ?? parsed.detail.metadata.traceHeader;
    accepted.push({
      messageId: record.messageId,
      entry: {
        EventBusName: ports.targetBusArn,
        Source: parsed.source,
        DetailType: parsed['detail-type'],
        Detail: JSON.stringify(parsed.detail),
        ...(traceHeader ? { TraceHeader: traceHeader } : {}),
      },
    });
  }
  if (accepted.length === 0) return [];

  const retry: string[] = [];
  for (const failure of await ports.publish(accepted.map(({ entry }) => entry))) {
    const { messageId } = accepted[failure.index]!;
    if (failure.retryable) retry.push(messageId);
    else await ports.deadLetter(records.find((record) => record.messageId === messageId)!.body, `target bus rejected the event: ${failure.errorCode} ${failure.errorMessage}`.trim());
  }
  return retry;
}
