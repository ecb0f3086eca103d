import * as z from 'zod';

/** The bounded contexts. An event's source is `duckstore.<context>` of the context that emits it. */
export const contextNames = ['orders', 'inventory', 'payments', 'notifications'] as const;
export type ContextName = (typeof contextNames)[number];

export const eventSource = (context: ContextName) => `duckstore.${context}` as const;

/**
 * Envelope metadata carried by every event. Consumers are tolerant readers:
 * unknown metadata fields are accepted and ignored, so producers can add fields
 * without a coordinated deploy.
 */
export const eventMetadataSchema = z.object({
  /** Idempotency key of every consumer: stable across redrives and replays, unlike an SQS messageId. */
  eventId: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
  /** The order id: every event of one saga shares it. */
  correlationId: z.string().min(1),
  /** The eventId (or API idempotency key) of what caused this event. */
  causationId: z.string().min(1),
  /** The region whose outbox published the event; cross-region forwarding only forwards local events. */
  originRegion: z.string().min(1),
  /** X-Ray trace header of the producing invocation, so the trace survives the DynamoDB stream hop. */
  traceHeader: z.string().optional(),
  /**
   * The order's saga deadline, carried by every event of its saga so that
   * each participant can refuse to start a side effect that could finish after
   * it (docs/resilience.md, "Deadline-aware participants"). Optional only for
   * events written before it existed (a replay of an old archive window).
   */
  deadline: z.iso.datetime().optional(),
});
export type EventMetadata = z.infer<typeof eventMetadataSchema>;

export interface EventContract<TType extends string = string, TData extends z.ZodType = z.ZodType> {
  readonly source: ReturnType<typeof eventSource>;
  readonly detailType: TType;
  readonly version: number;
  /** Schema of `detail.data`. */
  readonly data: TData;
  /** Schema of the whole EventBridge `detail`: `{ metadata, data }`. */
  readonly detail: z.ZodType<{ metadata: EventMetadata; data: z.infer<TData> }>;
}

export function defineEvent<TType extends string, TData extends z.ZodType>(spec: {
  producer: ContextName;
  detailType: TType;
  version: number;
  data: TData;
}): EventContract<TType, TData> {
  const metadata = eventMetadataSchema.extend({
    type: z.literal(spec.detailType),
    version: z.literal(spec.version),
  });
  return {
    source: eventSource(spec.producer),
    detailType: spec.detailType,
    version: spec.version,
    data: spec.data,
    detail: z.object({ metadata, data: spec.data }) as unknown as EventContract<TType, TData>['detail'],
  };
}

export type EventDetail<C extends EventContract> = z.infer<C['detail']>;
export type EventData<C extends EventContract> = z.infer<C['data']>;
