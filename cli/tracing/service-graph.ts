import { percentile } from '../stats';
import { contextOf, shortFunctionName, type Span } from './segments';

/** A service: a function (per region), an AWS service it calls (per region), or a remote HTTP endpoint. */
export interface GraphNode {
  id: string;
  label: string;
  kind: 'function' | 'aws' | 'remote';
  region: string | undefined;
  /** The bounded context of a function, if it belongs to one. */
  context: string | undefined;
  calls: number;
  errors: number;
  faults: number;
  latencyMs: { p50: number | undefined; p95: number | undefined };
}

export interface GraphEdge {
  from: string;
  to: string;
  calls: number;
  errors: number;
  faults: number;
}

export interface ServiceGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  traces: number;
  regions: string[];
  window: { from: Date | undefined; to: Date | undefined };
}

interface NodeAccumulator extends Omit<GraphNode, 'latencyMs'> {
  durations: number[];
}

const durationMs = (span: Span): number | undefined => (span.end === undefined ? undefined : Math.max(0, Math.round((span.end - span.start) * 1000)));

/** The node a span is a call of, or undefined for internal subsegments (`## handler`, …). */
function nodeOf(span: Span): Omit<NodeAccumulator, 'calls' | 'errors' | 'faults' | 'durations'> | undefined {
  if (span.kind === 'segment') {
    const label = shortFunctionName(span.name);
    return { id: `function|${span.region ?? ''}|${label}`, label, kind: 'function', region: span.region, context: contextOf(label) };
  }
  if (span.namespace === 'aws') {
    const region = typeof span.aws.region === 'string' ? span.aws.region : span.region;
    return { id: `aws|${region ?? ''}|${span.name}`, label: span.name, kind: 'aws', region, context: undefined };
  }
  if (span.namespace === 'remote') {
    return { id: `remote|${span.name}`, label: `HTTP ${span.name}`, kind: 'remote', region: span.region, context: undefined };
  }
  return undefined;
}

/**
 * The service graph of a set of spans, as X-Ray draws it: a node per service
 * with its call count, error (4xx) and fault (5xx, exception) counts and
 * latency; an edge where one service called another or handed work on to it
 * (a segment whose parent is another service's (sub)segment: an SQS or
 * EventBridge hop continued by a trace header).
 */
export function buildServiceGraph(spans: Span[]): ServiceGraph {
  const nodes = new Map<string, NodeAccumulator>();
  const edges = new Map<string, GraphEdge>();
  const byId = new Map(spans.map((span) => [`${span.traceId}|${span.id}`, span]));
  const nodeIdOf = new Map<Span, string>();

  for (const span of spans) {
    const node = nodeOf(span);
    if (!node) continue;
    const accumulator = nodes.get(node.id) ?? { ...node, calls: 0, errors: 0, faults: 0, durations: [] };
    accumulator.calls++;
    if (span.error) accumulator.errors++;
    if (span.fault) accumulator.faults++;
    const ms = durationMs(span);
    if (ms !== undefined) accumulator.durations.push(ms);
    accumulator.context ??= node.context;
    nodes.set(node.id, accumulator);
    nodeIdOf.set(span, node.id);
  }

  const functionNodeOfSegment = (span: Span): string | undefined => {
    const segment = byId.get(`${span.traceId}|${span.segmentId}`);
    return segment ? nodeIdOf.get(segment) : undefined;
  };
  const addEdge = (from: string | undefined, to: string | undefined, child: Span) => {
    if (!from || !to || from === to) return;
    const key = `${from}→${to}`;
    const edge = edges.get(key) ?? { from, to, calls: 0, errors: 0, faults: 0 };
    edge.calls++;
    if (child.error) edge.errors++;
    if (child.fault) edge.faults++;
    edges.set(key, edge);
  };

  for (const span of spans) {
    const target = nodeIdOf.get(span);
    if (!target) continue;
    if (span.kind === 'segment') {
      const parent = span.parentId ? byId.get(`${span.traceId}|${span.parentId}`) : undefined;
      if (!parent) continue;
      // Handed on through a call node (the EventBridge PutEvents whose TraceHeader it continues), else from the function that wrote it.
      addEdge(parent.namespace === 'aws' || parent.namespace === 'remote' ? nodeIdOf.get(parent) : functionNodeOfSegment(parent), target, span);
    } else {
      addEdge(functionNodeOfSegment(span), target, span);
    }
  }

  // reduce, not Math.min(...): a day of traces is more spans than a call takes arguments.
  const first = spans.reduce<number | undefined>((min, span) => (min === undefined || span.start < min ? span.start : min), undefined);
  const last = spans.reduce<number | undefined>((max, span) => (span.end !== undefined && (max === undefined || span.end > max) ? span.end : max), undefined);
  return {
    nodes: [...nodes.values()]
      .map(({ durations, ...node }) => ({ ...node, latencyMs: { p50: percentile(durations, 50), p95: percentile(durations, 95) } }))
      .sort((a, b) => (a.region ?? '').localeCompare(b.region ?? '') || a.label.localeCompare(b.label)),
    edges: [...edges.values()],
    traces: new Set(spans.map((span) => span.traceId)).size,
    regions: [...new Set([...nodes.values()].flatMap((node) => (node.region ? [node.region] : [])))].sort(),
    window: { from: first === undefined ? undefined : new Date(first * 1000), to: last === undefined ? undefined : new Date(last * 1000) },
  };
}
