import { contextNames } from '#contracts/envelope';

/** An X-Ray segment document, as the daemon receives it and BatchGetTraces returns it (the fields we read). */
export interface SegmentDocument {
  id: string;
  trace_id?: string;
  parent_id?: string;
  name: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  /** `subsegment` for a subsegment sent on its own. */
  type?: string;
  origin?: string;
  namespace?: string;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, unknown>;
  http?: { request?: { url?: string; method?: string }; response?: { status?: number } };
  subsegments?: SegmentDocument[];
}

/** One segment or subsegment, flattened, with what its position in the tree told. */
export interface Span {
  id: string;
  traceId: string;
  parentId: string | undefined;
  name: string;
  start: number;
  end: number | undefined;
  /** A segment (a function's invocation or unit of work) or a subsegment (a call it made). */
  kind: 'segment' | 'subsegment';
  /** The segment this span belongs to (itself for a segment). */
  segmentId: string;
  segmentName: string;
  region: string | undefined;
  namespace: string | undefined;
  error: boolean;
  fault: boolean;
  annotations: Record<string, string | number | boolean>;
  aws: Record<string, unknown>;
  url: string | undefined;
}

const regionOfDocument = (document: SegmentDocument): string | undefined => {
  const region = document.aws?.region;
  return typeof region === 'string' ? region : undefined;
};

/**
 * Flattens segment documents (segments with nested subsegments, and
 * subsegments streamed on their own) into spans. A streamed subsegment
 * names its trace and parent; its segment is found once all are read.
 */
export function flattenSegments(documents: SegmentDocument[]): Span[] {
  const spans: Span[] = [];
  const visit = (document: SegmentDocument, traceId: string, parentId: string | undefined, owner: { id: string; name: string; region: string | undefined } | undefined): void => {
    const isSegment = !owner && document.type !== 'subsegment';
    const self = isSegment ? { id: document.id, name: document.name, region: regionOfDocument(document) } : owner;
    spans.push({
      id: document.id,
      traceId,
      parentId,
      name: document.name,
      start: document.start_time,
      end: document.end_time,
      kind: isSegment ? 'segment' : 'subsegment',
      segmentId: self?.id ?? '',
      segmentName: self?.name ?? '',
      region: regionOfDocument(document) ?? self?.region,
      namespace: document.namespace,
      error: document.error === true,
      fault: document.fault === true,
      annotations: document.annotations ?? {},
      aws: document.aws ?? {},
      url: document.http?.request?.url,
    });
    for (const child of document.subsegments ?? []) visit(child, traceId, document.id, self);
  };
  for (const document of documents) visit(document, document.trace_id ?? '', document.parent_id, undefined);

  // Streamed subsegments: the segment they belong to is the one their parent chain reaches.
  const byId = new Map(spans.map((span) => [span.id, span]));
  for (const span of spans.filter((candidate) => candidate.segmentId === '')) {
    let cursor: Span | undefined = span;
    const seen = new Set<string>();
    while (cursor && cursor.kind === 'subsegment' && cursor.parentId && !seen.has(cursor.id)) {
      seen.add(cursor.id);
      const parent = byId.get(cursor.parentId);
      if (!parent) break;
      if (parent.segmentId) {
        span.segmentId = parent.segmentId;
        span.segmentName = parent.segmentName;
        span.region ??= parent.region;
        break;
      }
      cursor = parent;
    }
  }
  return spans;
}

/**
 * A short name for a function: CloudFormation names functions
 * `<stack>-<LogicalId><hash>-<suffix>`, DuckStore's logical ids end in
 * `Function`, so `DuckStore-primary-OrdersApiFunction135EB4F5-CD4C91A730EFD`
 * is `OrdersApi`. Other names are kept.
 */
export function shortFunctionName(name: string): string {
  const withoutStack = name.replace(/^DuckStore-[A-Za-z0-9]+-/, '');
  const logical = withoutStack.replace(/[0-9A-F]{8}(-?[0-9A-Za-z]{5,13})?$/, '').replace(/Functi?o?n?$/, '');
  const forwarder = /^ForwardTo([a-z0-9]+)Forwarding$/.exec(logical);
  if (forwarder) return `ForwarderTo-${forwarder[1]!.replace(/^([a-z]{2})([a-z]+)(\d)$/, '$1-$2-$3')}`;
  return logical || withoutStack;
}

/** The bounded context a function or service name belongs to, if one: `OrdersApi` → orders, `payments-relay` → payments. */
export function contextOf(name: string): string | undefined {
  const lower = name.toLowerCase();
  return contextNames.find((context) => lower.startsWith(context) || lower.startsWith(context.replace(/s$/, '')));
}
