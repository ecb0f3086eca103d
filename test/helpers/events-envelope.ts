import { randomUUID } from 'node:crypto';
import type { EventContract, EventData, EventDetail, EventMetadata } from '#contracts/envelope';

export const fixedOccurredAt = '2025-03-14T09:26:53.589Z';

/**
 * A `detail` validated by its contract, so a factory bug fails here and not in
 * the test that uses it. Correlation id = the order id, as every producer sets
 * it; fresh event and causation ids unless the test pins them.
 */
export function eventDetail<C extends EventContract>(contract: C, data: EventData<C> & { orderId: string }, metadata: Partial<EventMetadata> = {}): EventDetail<C> {
  // Defaults in the destructuring, so a factory may pass `eventId: undefined` through for "any".
  const { eventId = randomUUID(), occurredAt = fixedOccurredAt, correlationId = data.orderId, causationId = randomUUID(), originRegion = 'us-east-1', ...rest } = metadata;
  return contract.detail.parse({
    metadata: { eventId, type: contract.detailType, version: contract.version, occurredAt, correlationId, causationId, originRegion, ...rest },
    data,
  }) as EventDetail<C>;
}

/** The whole EventBridge event, as an SQS rule target delivers it in the message body. */
export function eventBridgeEvent(source: string, detailType: string, detail: unknown, region = 'us-east-1') {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: '2025-03-14T09:26:54Z',
    region,
    resources: [],
    detail,
  };
}

export const eventBridgeBody = (contract: EventContract, detail: unknown): string =>
  JSON.stringify(eventBridgeEvent(contract.source, contract.detailType, detail));
