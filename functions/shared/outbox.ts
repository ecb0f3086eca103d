import { createHash, randomUUID } from 'node:crypto';
import type { EventContract, EventData, EventDetail } from '#contracts/envelope';
import { outboxKeyPrefix, outboxKind, unpublishedOutboxIndex, type OutboxRow } from '#contracts/outbox';
import { currentTraceHeader } from './tracing';

/** The index partition of shard `n` (of `unpublishedOutboxIndex.shardCount`). */
export const outboxShardKey = (shard: number): string => `SHARD#${shard}`;

/** The index shard of an outbox row: a hash of its eventId, so any id format (random or time-ordered) spreads evenly. */
export const outboxShardOf = (eventId: string): string =>
  outboxShardKey(createHash('sha256').update(eventId).digest().readUInt16BE(0) % unpublishedOutboxIndex.shardCount);

/** An event a use case decided to emit; the adapter turns it into an outbox row. */
export interface PendingEvent<C extends EventContract = EventContract> {
  contract: C;
  data: EventData<C>;
}

export const emit = <C extends EventContract>(contract: C, data: EventData<C>): PendingEvent<C> => ({ contract, data });

export interface Causation {
  /** The order id. */
  correlationId: string;
  /** The eventId or idempotency key of what caused the new event. */
  causationId: string;
  /** The order's saga deadline, passed on from the causing event into the new one's metadata. */
  deadline?: string | undefined;
}

export interface OutboxEnvironment {
  region: string;
  now: () => Date;
  newId?: () => string;
}

export function outboxRow(event: PendingEvent, cause: Causation, environment: OutboxEnvironment): OutboxRow {
  const eventId = (environment.newId ?? randomUUID)();
  const occurredAt = environment.now();
  // The (sub)segment writing the row, so the relay and the consumers continue this order's trace
  // (in a consumer that is the order's segment, not the poll's); else the invocation's own header.
  const traceHeader = currentTraceHeader() ?? process.env._X_AMZN_TRACE_ID;
  const detail: EventDetail<EventContract> = {
    metadata: {
      eventId,
      type: event.contract.detailType,
      version: event.contract.version,
      occurredAt: occurredAt.toISOString(),
      correlationId: cause.correlationId,
      causationId: cause.causationId,
      originRegion: environment.region,
      ...(cause.deadline ? { deadline: cause.deadline } : {}),
      ...(traceHeader ? { traceHeader } : {}),
    },
    data: event.data,
  };
  // Validate on the way in: a row that would fail its consumers' parsers must never be committed.
  event.contract.detail.parse(detail);
  return {
    pk: `${outboxKeyPrefix}${eventId}`,
    kind: outboxKind,
    eventId,
    source: event.contract.source,
    detailType: event.contract.detailType,
    detail: JSON.stringify(detail),
    correlationId: cause.correlationId,
    createdAt: occurredAt.toISOString(),
    // No TTL: a row leaves the outbox only when the relay or the sweeper has published it.
    [unpublishedOutboxIndex.partitionKey]: outboxShardOf(eventId),
  };
}
