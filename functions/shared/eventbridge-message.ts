import type { EventContract, EventDetail } from '#contracts/envelope';
import { currentTraceHeader } from './tracing';

/**
 * The SQS message body of an event, shaped as an EventBridge rule target
 * delivers it (the whole event, `detail` inside): for a producer that sends
 * straight to a consumer's queue (a timer), so that the consumer parses one
 * shape (`parseRecord` in event-consumer.ts) whichever way the event came.
 */
export function eventBridgeMessageBody<C extends EventContract>(contract: C, detail: EventDetail<C>, region: string): string {
  // Like an outbox row, the message carries the trace of whoever sent it (for a timer: the order's), so its consumer continues it.
  const traceHeader = detail.metadata.traceHeader ?? currentTraceHeader();
  return JSON.stringify({
    version: '0',
    id: detail.metadata.eventId,
    'detail-type': contract.detailType,
    source: contract.source,
    time: detail.metadata.occurredAt,
    region,
    resources: [],
    detail: traceHeader ? { ...detail, metadata: { ...detail.metadata, traceHeader } } : detail,
  });
}
