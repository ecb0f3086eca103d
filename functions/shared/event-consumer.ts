import { BatchProcessor, EventType, FullBatchFailureError, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { contextNames, type EventContract, type EventDetail } from '#contracts/envelope';
import { dynamoDb } from './aws-clients';
import { deadLetter } from './dead-letter';
import { FaultInjectingPersistenceLayer } from './fault-persistence';
import { delayFault, withFaultScope } from './faults';
import { instrumented, logger } from './powertools';
import { delayRedeliveries, onLastReceive, requeueFresh } from './redelivery';
import { defaultRedeliveryBackoff, type RedeliveryBackoff } from './resilience/redelivery-backoff';
import { traceUnitOfWork } from './tracing';

/** Raised for a message that no retry can fix; it goes to the DLQ at once, with this message as the reason. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

/** The EventBridge event as an SQS rule target delivers it (the whole event is the message body). */
const eventBridgeEventSchema = z.object({
  source: z.string(),
  'detail-type': z.string(),
  detail: z.unknown(),
});

/** Maps each subscribed contract's detail type to its use case. */
export type EventHandlers<S extends readonly EventContract[]> = {
  [K in S[number]['detailType']]: (detail: EventDetail<Extract<S[number], { detailType: K }>>) => Promise<string>;
};

export interface EventConsumerSpec<S extends readonly EventContract[]> {
  /** Names the consumer in logs and in dead-letter reasons, e.g. `inventory-consumer`. */
  component: string;
  handlers: EventHandlers<S>;
  /** The queue the consumer's mapping polls: failed records get their redelivery backoff there. */
  queueUrl: string;
  deadLetterQueueUrl: string;
  idempotencyTableName: string;
  /** Idempotency records outlive the longest redrive or archive replay we support. */
  idempotencyTtlSeconds?: number;
  /**
   * When a failed record comes back (redelivery.ts), read at each failure;
   * undefined leaves it to the queue's visibility timeout.
   * @default () => defaultRedeliveryBackoff
   */
  redeliveryBackoff?: () => RedeliveryBackoff | undefined;
  /**
   * Failures that say only that a dependency is down (the record was not
   * wrong, and was maybe not even attempted). A record that fails so on its
   * last receive before the DLQ is put back as a fresh message instead
   * (redelivery.ts, requeueFresh): no outage, however long, parks work in a DLQ.
   */
  isDependencyOutage?: (error: unknown) => boolean;
  /** The queue's maxReceiveCount (MAX_RECEIVE_COUNT), which `isDependencyOutage` needs; unset, nothing is requeued. */
  maxReceiveCount?: number;
  /**
   * Asked before each batch: a dependency known to be down (the shared
   * breaker open) defers the whole batch without trying a record.
   */
  shouldDefer?: () => Promise<{ reason: string; retryAfterSeconds: number } | undefined>;
}

/** A record the consumer did not try because its dependency is known to be down; it comes back once the consumer resumes. */
export class DeferredError extends Error {
  override readonly name = 'DeferredError';
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Parses an SQS record into the contract it matches, or explains why it is poison. */
export function parseRecord(subscriptions: readonly EventContract[], body: string): { contract: EventContract; detail: EventDetail<EventContract> } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  const event = eventBridgeEventSchema.safeParse(json);
  if (!event.success) throw new PoisonMessageError(`not an EventBridge event: ${describeIssues(event.error)}`);
  const { source, 'detail-type': detailType } = event.data;
  const contract = subscriptions.find((candidate) => candidate.detailType === detailType && candidate.source === source);
  if (!contract) throw new PoisonMessageError(`no subscription for ${source}/${detailType}`);
  const detail = contract.detail.safeParse(event.data.detail);
  if (!detail.success) throw new PoisonMessageError(`${detailType} v${contract.version} contract violated: ${describeIssues(detail.error)}`);
  return { contract, detail: detail.data };
}

/**
 * A consumer's use cases made idempotent on the envelope `eventId`, never on
 * the SQS messageId: a redriven, replayed, or twice-published event (the
 * outbox relay and sweeper racing) is applied once, and its copies get the
 * first outcome. Exported so tests run the same keying over an in-memory store.
 */
export function idempotentOnEventId(
  handler: (detail: EventDetail<EventContract>) => Promise<string>,
  options: { persistenceStore: BasePersistenceLayer; component: string; ttlSeconds?: number },
) {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'metadata.eventId',
    expiresAfterSeconds: options.ttlSeconds ?? 7 * 24 * 3600,
  });
  // A stable prefix keeps idempotency records valid across function renames and redeploys.
  const apply = makeIdempotent(handler, { persistenceStore: options.persistenceStore, config, keyPrefix: options.component });
  return { config, apply };
}

/**
 * The one SQS consumer of a context: Powertools batch processing with partial
 * failures, idempotency keyed on the envelope eventId (a redriven message has a
 * new SQS messageId but the same eventId), and poison messages dead-lettered at
 * once with their reason so they never block or slow the rest of the batch.
 */
export function eventConsumer<const S extends readonly EventContract[]>(subscriptions: S, spec: EventConsumerSpec<NoInfer<S>>) {
  // With fault injection deployed, the store can be made to fail (docs/faults.md); otherwise it is the plain DynamoDB layer.
  const persistenceStore = new FaultInjectingPersistenceLayer({ tableName: spec.idempotencyTableName, awsSdkV3Client: dynamoDb() });
  const handlers = spec.handlers as unknown as Record<string, (detail: EventDetail<EventContract>) => Promise<string>>;
  const { config: idempotencyConfig, apply } = idempotentOnEventId(
    async (detail: EventDetail<EventContract>): Promise<string> => handlers[detail.metadata.type]!(detail),
    { persistenceStore, component: spec.component, ...(spec.idempotencyTtlSeconds ? { ttlSeconds: spec.idempotencyTtlSeconds } : {}) },
  );

  // The context this consumer belongs to (its Powertools service is the context, or `<context>-<part>`), for trace annotations.
  const service = process.env.POWERTOOLS_SERVICE_NAME ?? spec.component;
  const context = contextNames.find((name) => service === name || service.startsWith(`${name}-`)) ?? service;

  /** Epoch ms by which every record of the current invocation must have answered (its end minus a margin). */
  let answerBy: number | undefined;
  const answerMarginMs = Number(process.env.CONSUMER_ANSWER_MARGIN_MS ?? 1_500);

  /**
   * Slowness is not failure: a record still running when the invocation nears
   * its end is returned to the queue (a DeferredError, redelivered after its
   * backoff) instead of letting Lambda kill the worker at its timeout, which
   * would hand the whole batch back only after the visibility timeout. Its
   * work may still finish in the background; every step is a conditional,
   * idempotent commit, so a redelivery finds it done or does it once.
   */
  const beforeInvocationEnds = async <T>(work: () => Promise<T>): Promise<T> => {
    if (answerBy === undefined) return work();
    let timer: NodeJS.Timeout | undefined;
    const cutOff = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeferredError('not finished before the invocation ends: returned to the queue to finish later')), Math.max(0, answerBy! - Date.now()));
    });
    try {
      return await Promise.race([work(), cutOff]);
    } finally {
      clearTimeout(timer);
    }
  };

  const processRecord = async (record: SQSRecord): Promise<void> => {
    let correlationId: string | undefined;
    try {
      const { detail } = parseRecord(subscriptions, record.body);
      const { metadata } = detail;
      correlationId = metadata.correlationId;
      // The order's trace: AWSTraceHeader where EventBridge → SQS carried it (the relay's PutEvents), else the producer's header in the envelope.
      const unit = {
        header: record.attributes.AWSTraceHeader ?? metadata.traceHeader,
        orderId: metadata.correlationId,
        eventType: metadata.type,
        context,
        component: spec.component,
        annotations: { receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1) },
      };
      // Injected faults (docs/faults.md) see which message they are in; an injected crash is not poison, so SQS retries it.
      const site = { component: spec.component, eventType: metadata.type, orderId: metadata.correlationId, attempt: unit.annotations.receiveCount };
      const handle = () =>
        withFaultScope(site, async () => {
          await delayFault();
          return apply(detail);
        });
      const outcome = await traceUnitOfWork(unit, () => beforeInvocationEnds(handle), (error) => error instanceof PoisonMessageError);
      // Records of a batch run concurrently, so the order id goes on each line rather than on the shared logger.
      logger.info('event handled', { correlationId, eventType: metadata.type, eventId: metadata.eventId, outcome });
    } catch (error) {
      if (error instanceof DeferredError) logger.info('record returned to the queue unfinished', { correlationId, messageId: record.messageId, reason: error.message });
      if (await requeuedBeforeDeadLetter(record, error)) return;
      // Poison found by the parser or by a use case: retrying cannot help, so it goes to the DLQ now, with its reason.
      if (!(error instanceof PoisonMessageError)) throw error;
      await deadLetter(spec.deadLetterQueueUrl, { body: record.body, reason: error.message, component: spec.component });
      logger.warn('poison message dead-lettered', { correlationId, messageId: record.messageId, reason: error.message });
    }
  };

  const redeliveryBackoff = spec.redeliveryBackoff ?? (() => defaultRedeliveryBackoff);

  /** Whether `record` failed only for a down dependency on its last receive, and is now back on the queue as a new message. */
  async function requeuedBeforeDeadLetter(record: SQSRecord, error: unknown, delaySeconds?: number): Promise<boolean> {
    const outage = error instanceof DeferredError || spec.isDependencyOutage?.(error) === true;
    if (!outage || !onLastReceive(record, spec.maxReceiveCount)) return false;
    const backoff = redeliveryBackoff();
    await requeueFresh(spec.queueUrl, record, delaySeconds ?? (backoff?.notBeforeSeconds ?? 0) + (backoff?.firstSeconds ?? 0));
    return true;
  }

  /** The whole batch back to the queue untried: each record is a failure (visibility = the wait), or a fresh copy when it is one receive from its DLQ. */
  async function deferBatch(records: SQSRecord[], deferral: { reason: string; retryAfterSeconds: number }): Promise<SQSBatchResponse> {
    const failed: string[] = [];
    for (const record of records) {
      const requeued = await requeuedBeforeDeadLetter(record, new DeferredError(deferral.reason), deferral.retryAfterSeconds).catch((error: unknown) => {
        logger.warn('requeue failed: the record returns as a failure', { messageId: record.messageId, error });
        return false;
      });
      if (!requeued) failed.push(record.messageId);
    }
    await delayRedeliveries(spec.queueUrl, records, failed, () => ({ firstSeconds: deferral.retryAfterSeconds, maxSeconds: deferral.retryAfterSeconds }));
    logger.info('batch deferred untried', { reason: deferral.reason, records: records.length, requeued: records.length - failed.length });
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  }

  const processor = new BatchProcessor(EventType.SQS);
  return instrumented(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    idempotencyConfig.registerLambdaContext(context);
    answerBy = typeof context?.getRemainingTimeInMillis === 'function' ? Date.now() + context.getRemainingTimeInMillis() - answerMarginMs : undefined;
    const deferral = await spec.shouldDefer?.();
    if (deferral) return deferBatch(event.Records, deferral);
    try {
      const response = await processPartialResponse(event, processRecord, processor, { context });
      await delayRedeliveries(spec.queueUrl, event.Records, response.batchItemFailures.map((failure) => failure.itemIdentifier), redeliveryBackoff);
      return response;
    } catch (error) {
      // Every record failed: still a retry of each, so each gets its backoff; the invocation fails as before.
      if (error instanceof FullBatchFailureError) await delayRedeliveries(spec.queueUrl, event.Records, event.Records.map((record) => record.messageId), redeliveryBackoff);
      throw error;
    }
  });
}
