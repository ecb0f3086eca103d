import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deployedRegions } from '../../lib/topology';
import { table, type Command } from '../command';
import type { Target } from '../targets';
import { renderHtml, renderMermaid } from '../tracing/render';
import { screenshot } from '../tracing/screenshot';
import { buildServiceGraph, type ServiceGraph } from '../tracing/service-graph';
import { parseSince, readAwsServiceGraph, readSpans } from '../tracing/trace-store';

export interface ServiceMapFiles {
  mermaid: string;
  html: string;
  /** Undefined when no Chromium is installed. */
  png: string | undefined;
}

/** Writes the map as Mermaid, as a self-contained HTML page and, where a Chromium is installed, as a PNG of that page. */
export function writeServiceMap(graph: ServiceGraph, dir: string, source: string): ServiceMapFiles {
  mkdirSync(dir, { recursive: true });
  const files = { mermaid: resolve(join(dir, 'service-map.mmd')), html: resolve(join(dir, 'service-map.html')), png: resolve(join(dir, 'service-map.png')) };
  writeFileSync(files.mermaid, renderMermaid(graph));
  writeFileSync(files.html, renderHtml(graph, { title: 'DuckStore service map', source, generatedAt: new Date() }));
  return { ...files, png: screenshot(files.html, files.png) ? files.png : undefined };
}

/** Draws the service map of a time window from the target's traces (local collector) or X-Ray's service graph (AWS), and writes it to `dir`. */
export async function drawServiceMap(target: Target, regions: string[], window: { from: Date; to: Date }, dir: string, note: string): Promise<{ graph: ServiceGraph; files: ServiceMapFiles }> {
  const graph = target.name === 'aws' ? await readAwsServiceGraph(target, regions, window) : buildServiceGraph(await readSpans(target, regions, window));
  const source = target.name === 'aws' ? `AWS X-Ray GetServiceGraph (${regions.join(', ')})` : `local trace collector (${target.aws(regions[0] ?? 'us-east-1').endpoint})`;
  return { graph, files: writeServiceMap(graph, dir, `${source}, ${note}`) };
}

/** The contexts a map shows, for a one-line summary. */
export const contextsOn = (graph: ServiceGraph): string[] => [...new Set(graph.nodes.flatMap((node) => (node.context ? [node.context] : [])))].sort();

export const serviceMapCommand: Command = {
  name: 'service-map',
  usage: 'service-map [--since 1h] [--out DIR]',
  summary: 'the service graph (calls, error and fault rates, latency) from the local trace collector or AWS X-Ray, as Mermaid, HTML and PNG',
  options: {
    since: { type: 'string', default: '1h' },
    out: { type: 'string', default: '.local/reports' },
  },
  async run(context) {
    const values = context.values as { since: string; out: string };
    const to = new Date();
    const from = new Date(to.getTime() - parseSince(values.since));
    const regions = context.region ? [context.region] : deployedRegions(context.topology);
    const { graph, files } = await drawServiceMap(context.target, regions, { from, to }, values.out, `last ${values.since}`);
    if (context.json) {
      context.out(JSON.stringify({ graph, files }, null, 2));
      return graph.nodes.length > 0 ? 0 : 1;
    }
    if (graph.nodes.length === 0) {
      context.out(`no traced calls in the last ${values.since} on target ${context.target.name}; place an order first`);
      return 1;
    }
    context.out(`${graph.nodes.length} services, ${graph.edges.length} edges, ${graph.traces || '-'} traces; regions ${graph.regions.join(', ')}; contexts ${contextsOn(graph).join(', ')}`);
    context.out('');
    context.out(
      table([
        ['service', 'region', 'calls', 'err', 'fault', 'p50', 'p95'],
        ...graph.nodes.map((node) => [node.label, node.region ?? '', node.calls, node.errors, node.faults, node.latencyMs.p50 ?? '-', node.latencyMs.p95 ?? '-']),
      ]),
    );
    context.out('');
    context.out(`mermaid: ${files.mermaid}`);
    context.out(`html:    ${files.html}`);
    context.out(`png:     ${files.png ?? '(no Chromium found: set DUCKSTORE_CHROMIUM or apt-get install chromium)'}`);
    return 0;
  },
};
