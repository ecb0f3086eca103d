import type { SagaStep } from '../saga-timeline';
import { shortFunctionName, type Span } from './segments';

/** One hop of an order's saga as traced: a unit of work a function did for the order, or a call it made. */
export interface TraceHop {
  span: Span;
  at: Date;
  durationMs: number | undefined;
  region: string | undefined;
  context: string | undefined;
  /** `orders-api`, `outbox-relay`, `inventory-consumer`, … or `HTTP <host>` for a remote call. */
  component: string;
  /** The function that did it. */
  functionName: string;
  eventType: string | undefined;
  /** SQS receives beyond the first (the message was retried). */
  retries: number;
  deadLettered: boolean;
  failed: boolean;
  /** The hop this one continues (its trace parent), if it is one of the order's hops. */
  parent: TraceHop | undefined;
  /** Whether its parent (sub)segment is in the trace (or it starts a trace): the trace is connected at this hop. */
  parented: boolean;
  /** It came without a trace header and started a trace of its own (a request, a message sent without one). */
  startsTrace: boolean;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The hops of one order in a set of spans: every (sub)segment annotated with
 * the order id and a component (the API request, each relay, consumer and
 * forwarder unit of work), and the remote HTTP calls made inside them (the
 * payment provider). In start order.
 */
export function traceHops(spans: Span[], orderId: string): TraceHop[] {
  const byId = new Map(spans.map((span) => [`${span.traceId}|${span.id}`, span]));
  const units = spans.filter((span) => span.annotations.orderId === orderId && text(span.annotations.component));
  const unitSegments = new Set(units.map((span) => `${span.traceId}|${span.segmentId}`));
  const calls = spans.filter((span) => span.namespace === 'remote' && unitSegments.has(`${span.traceId}|${span.segmentId}`));

  const hops = [...units, ...calls]
    .sort((a, b) => a.start - b.start)
    .map(
      (span): TraceHop => ({
        span,
        at: new Date(span.start * 1000),
        durationMs: span.end === undefined ? undefined : Math.round((span.end - span.start) * 1000),
        region: span.region,
        context: text(span.annotations.context),
        component: span.namespace === 'remote' ? `HTTP ${span.name}` : text(span.annotations.component)!,
        functionName: shortFunctionName(span.segmentName),
        eventType: span.namespace === 'remote' ? [span.url ? new URL(span.url).pathname.split('/').pop() : undefined].find(Boolean) : text(span.annotations.eventType),
        retries: Math.max(0, Number(span.annotations.receiveCount ?? 1) - 1),
        deadLettered: span.annotations.deadLettered === true,
        failed: span.fault || span.error,
        parent: undefined,
        parented: span.parentId === undefined || byId.has(`${span.traceId}|${span.parentId}`),
        startsTrace: span.parentId === undefined && span.kind === 'segment',
      }),
    );

  // A hop's parent hop: walk up the (sub)segment tree until a span that is a hop.
  const hopOf = new Map(hops.map((hop) => [`${hop.span.traceId}|${hop.span.id}`, hop]));
  for (const hop of hops) {
    let cursor = hop.span.parentId ? byId.get(`${hop.span.traceId}|${hop.span.parentId}`) : undefined;
    for (let depth = 0; cursor && depth < 50; depth++) {
      const found = hopOf.get(`${cursor.traceId}|${cursor.id}`) ?? hopOf.get(`${cursor.traceId}|${cursor.segmentId}`);
      if (found && found !== hop) {
        hop.parent = found;
        break;
      }
      cursor = cursor.parentId ? byId.get(`${cursor.traceId}|${cursor.parentId}`) : cursor.segmentId !== cursor.id ? byId.get(`${cursor.traceId}|${cursor.segmentId}`) : undefined;
    }
  }
  return hops;
}

/** A line of the merged timeline: a state change read from a context's table, or a traced hop. */
export interface TimelineEntry {
  at: Date;
  region: string | undefined;
  context: string | undefined;
  what: string;
  durationMs: number | undefined;
  notes: string[];
}

/** The saga steps of the state tables (cli/saga-timeline.ts) and the traced hops, in one chronological list. */
export function mergeTimeline(steps: SagaStep[], hops: TraceHop[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...steps.map((step) => ({ at: new Date(step.at), region: step.region, context: step.context, what: `state ${step.status}`, durationMs: undefined, notes: [] })),
    ...hops.map((hop) => ({
      at: hop.at,
      region: hop.region,
      context: hop.context,
      what: `${hop.component} ${hop.eventType ?? ''}`.trim(),
      durationMs: hop.durationMs,
      notes: [
        ...(hop.retries > 0 ? [`retry ${hop.retries}`] : []),
        ...(hop.deadLettered ? ['dead-lettered'] : []),
        ...(hop.failed && !hop.deadLettered ? ['failed'] : []),
        ...(hop.parented ? [] : ['parent missing']),
        ...(hop.startsTrace ? ['new trace'] : []),
        ...(hop.parent ? [`after ${hop.parent.component}`] : []),
      ],
    })),
  ];
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
}
