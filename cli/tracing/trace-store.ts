import { existsSync, readFileSync } from 'node:fs';
import { BatchGetTracesCommand, GetServiceGraphCommand, GetTraceSummariesCommand, XRayClient, type Service } from '@aws-sdk/client-xray';
import { segmentsFile } from '../../local/xray-collector';
import { portOf } from '../../local/paths';
import { UsageError, type Target } from '../targets';
import { flattenSegments, type SegmentDocument, type Span } from './segments';
import type { GraphNode, ServiceGraph } from './service-graph';
import { contextOf, shortFunctionName } from './segments';

export interface TraceQuery {
  from: Date;
  to: Date;
  /** Only traces with a segment annotated with this order id. */
  orderId?: string;
}

/** `15m`, `2h`, `1d`, `90s` → milliseconds. */
export function parseSince(value: string): number {
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (!match) throw new UsageError(`--since takes a duration like 90s, 15m, 2h or 1d (got "${value}")`);
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

/** The documents the local collector stored (local/xray-collector.ts), started inside the window. */
export function readLocalSegments(target: Target, query: TraceQuery): SegmentDocument[] {
  if (target.name !== 'local') throw new UsageError(`traces are read from the local collector or from AWS X-Ray; target ${target.name} has neither`);
  const endpoint = target.aws('us-east-1').endpoint!;
  const file = segmentsFile(portOf(endpoint));
  if (!existsSync(file)) throw new UsageError(`no trace segments at ${file}: is the local cloud on ${endpoint} running (it starts the collector)?`);
  const from = query.from.getTime() / 1000;
  const to = query.to.getTime() / 1000;
  const documents: SegmentDocument[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const document = JSON.parse(line) as SegmentDocument;
      if (document.start_time >= from && document.start_time <= to) documents.push(document);
    } catch {
      // A line cut short by a concurrent write is skipped; the next read gets it whole.
    }
  }
  if (!query.orderId) return documents;
  const traces = new Set(flattenSegments(documents).filter((span) => span.annotations.orderId === query.orderId).map((span) => span.traceId));
  return documents.filter((document) => traces.has(document.trace_id ?? ''));
}

/** X-Ray segment documents of the traces in the window (every region: a trace that crosses regions is stored in each). */
export async function readAwsSegments(target: Target, regions: string[], query: TraceQuery): Promise<SegmentDocument[]> {
  const documents = new Map<string, SegmentDocument>();
  for (const region of regions) {
    const client = new XRayClient(target.aws(region));
    try {
      const ids = new Set<string>();
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new GetTraceSummariesCommand({
            StartTime: query.from,
            EndTime: query.to,
            Sampling: false,
            ...(query.orderId ? { FilterExpression: `annotation.orderId = "${query.orderId.replace(/"/g, '')}"` } : {}),
            NextToken: nextToken,
          }),
        );
        page.TraceSummaries?.forEach((summary) => summary.Id && ids.add(summary.Id));
        nextToken = page.NextToken;
      } while (nextToken);
      const all = [...ids];
      // BatchGetTraces takes at most 5 ids per call.
      for (let start = 0; start < all.length; start += 5) {
        let token: string | undefined;
        do {
          const page = await client.send(new BatchGetTracesCommand({ TraceIds: all.slice(start, start + 5), NextToken: token }));
          for (const trace of page.Traces ?? []) {
            for (const segment of trace.Segments ?? []) {
              if (!segment.Document) continue;
              const document = JSON.parse(segment.Document) as SegmentDocument;
              documents.set(`${document.trace_id ?? trace.Id}|${document.id}`, { ...document, trace_id: document.trace_id ?? trace.Id });
            }
          }
          token = page.NextToken;
        } while (token);
      }
    } finally {
      client.destroy();
    }
  }
  return [...documents.values()];
}

export const readSpans = async (target: Target, regions: string[], query: TraceQuery): Promise<Span[]> =>
  flattenSegments(target.name === 'aws' ? await readAwsSegments(target, regions, query) : readLocalSegments(target, query));

const nodeKind = (type: string | undefined): GraphNode['kind'] => (type?.startsWith('AWS::Lambda') ? 'function' : type?.startsWith('AWS::') ? 'aws' : 'remote');

/** X-Ray's own service graph of one region (GetServiceGraph), in the shape the renderers take. */
export function serviceGraphFromXray(region: string, services: Service[], window: { from: Date; to: Date }): ServiceGraph {
  const idOf = (service: Service) => `${region}|${service.ReferenceId}`;
  const byReference = new Map(services.map((service) => [service.ReferenceId, service]));
  const nodes: GraphNode[] = services
    .filter((service) => service.Type !== 'client')
    .map((service) => {
      const kind = nodeKind(service.Type);
      const label = kind === 'function' ? shortFunctionName(service.Name ?? '?') : (service.Name ?? '?');
      const stats = service.SummaryStatistics;
      const histogram = (service.ResponseTimeHistogram ?? []).flatMap((entry) => Array.from({ length: entry.Count ?? 0 }, () => Math.round((entry.Value ?? 0) * 1000)));
      const sorted = histogram.sort((a, b) => a - b);
      const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : undefined);
      return {
        id: idOf(service),
        label,
        kind,
        region: service.Type?.startsWith('AWS::') || kind === 'function' ? region : undefined,
        context: kind === 'function' ? contextOf(label) : undefined,
        calls: stats?.TotalCount ?? 0,
        errors: stats?.ErrorStatistics?.TotalCount ?? 0,
        faults: stats?.FaultStatistics?.TotalCount ?? 0,
        latencyMs: { p50: at(50), p95: at(95) },
      };
    });
  const edges = services
    .filter((service) => service.Type !== 'client')
    .flatMap((service) =>
      (service.Edges ?? [])
        .filter((edge) => byReference.has(edge.ReferenceId) && byReference.get(edge.ReferenceId)!.Type !== 'client')
        .map((edge) => ({
          from: idOf(service),
          to: `${region}|${edge.ReferenceId}`,
          calls: edge.SummaryStatistics?.TotalCount ?? 0,
          errors: edge.SummaryStatistics?.ErrorStatistics?.TotalCount ?? 0,
          faults: edge.SummaryStatistics?.FaultStatistics?.TotalCount ?? 0,
        })),
    );
  return { nodes, edges, traces: 0, regions: [region], window };
}

/** GetServiceGraph of every region, merged (each region's graph is its own). */
export async function readAwsServiceGraph(target: Target, regions: string[], window: { from: Date; to: Date }): Promise<ServiceGraph> {
  const graphs: ServiceGraph[] = [];
  for (const region of regions) {
    const client = new XRayClient(target.aws(region));
    try {
      const services: Service[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new GetServiceGraphCommand({ StartTime: window.from, EndTime: window.to, NextToken: nextToken }));
        services.push(...(page.Services ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      graphs.push(serviceGraphFromXray(region, services, window));
    } finally {
      client.destroy();
    }
  }
  return {
    nodes: graphs.flatMap((graph) => graph.nodes),
    edges: graphs.flatMap((graph) => graph.edges),
    traces: 0,
    regions: [...regions].sort(),
    window,
  };
}
