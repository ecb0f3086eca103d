import type { GraphEdge, GraphNode, ServiceGraph } from './service-graph';

const percent = (part: number, whole: number): string => (whole === 0 ? '0%' : `${Math.round((part / whole) * 1000) / 10}%`);
const ms = (value: number | undefined): string => (value === undefined ? '-' : `${value} ms`);

/** Second and third line of a node's box: what it is, and how it did. */
export function nodeSummary(node: GraphNode): [string, string] {
  return [
    `${node.context ?? node.kind} · ${node.calls} calls`,
    `err ${percent(node.errors, node.calls)} · fault ${percent(node.faults, node.calls)} · p50 ${ms(node.latencyMs.p50)}`,
  ];
}

const mermaidId = (index: number): string => `n${index}`;
const mermaidText = (text: string): string => text.replace(/"/g, '#quot;');

/** The graph as a Mermaid flowchart, one subgraph per region. */
export function renderMermaid(graph: ServiceGraph): string {
  const index = new Map(graph.nodes.map((node, position) => [node.id, position]));
  const lines = ['flowchart LR'];
  const regions = [...graph.regions, ...(graph.nodes.some((node) => !node.region) ? [undefined] : [])];
  for (const region of regions) {
    const members = graph.nodes.filter((node) => node.region === region);
    if (region) lines.push(`  subgraph ${region.replace(/-/g, '_')} ["${region}"]`);
    for (const node of members) {
      const [what, how] = nodeSummary(node);
      lines.push(`${region ? '    ' : '  '}${mermaidId(index.get(node.id)!)}["${mermaidText(`${node.label}<br/>${what}<br/>${how}`)}"]`);
    }
    if (region) lines.push('  end');
  }
  for (const edge of graph.edges) {
    const label = edge.faults + edge.errors > 0 ? `${edge.calls} (${edge.errors + edge.faults} failed)` : `${edge.calls}`;
    lines.push(`  ${mermaidId(index.get(edge.from)!)} -->|${label}| ${mermaidId(index.get(edge.to)!)}`);
  }
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const contextColours: Record<string, string> = {
  orders: '#dbeafe',
  inventory: '#dcfce7',
  payments: '#ffedd5',
  notifications: '#f3e8ff',
};

interface Placed {
  node: GraphNode;
  x: number;
  y: number;
}

const nodeWidth = 190;
const nodeHeight = 58;
const columnGap = 48;
const rowGap = 22;
const bandPadding = 34;

/**
 * Hand-offs (to a function, or to a bus that hands on) shape the map; plain
 * calls (DynamoDB, Scheduler, HTTP) are leaves drawn in the last column.
 */
const isHandOff = (graph: ServiceGraph, edge: GraphEdge): boolean => {
  const target = graph.nodes.find((node) => node.id === edge.to);
  return target?.kind === 'function' || target?.label === 'EventBridge';
};

/** Column of each node: its distance along hand-offs from a node nothing hands work to (cycles, e.g. a context's relay feeding its own consumer, are cut). */
function columns(graph: ServiceGraph): Map<string, number> {
  const flow = graph.edges.filter((edge) => isHandOff(graph, edge));
  const flowing = new Set(graph.nodes.filter((node) => node.kind === 'function' || node.label === 'EventBridge').map((node) => node.id));
  const incoming = new Map<string, number>([...flowing].map((id) => [id, 0]));
  for (const edge of flow) incoming.set(edge.to, (incoming.get(edge.to) ?? 0) + 1);
  const column = new Map<string, number>();
  let frontier = [...flowing].filter((id) => incoming.get(id) === 0);
  frontier.forEach((id) => column.set(id, 0));
  for (let depth = 1; frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const edge of flow.filter((candidate) => frontier.includes(candidate.from))) {
      if (column.has(edge.to)) continue;
      column.set(edge.to, depth);
      next.push(edge.to);
    }
    frontier = next;
  }
  for (const id of flowing) if (!column.has(id)) column.set(id, 0);
  const leafColumn = Math.max(0, ...column.values()) + 1;
  for (const node of graph.nodes) if (!column.has(node.id)) column.set(node.id, leafColumn);
  return column;
}

function layout(graph: ServiceGraph): { placed: Map<string, Placed>; bands: { region: string; y: number; height: number }[]; width: number; height: number } {
  const column = columns(graph);
  const placed = new Map<string, Placed>();
  const bands: { region: string; y: number; height: number }[] = [];
  let top = 10;
  let maxColumn = 0;
  const regions = [...graph.regions, ...(graph.nodes.some((node) => !node.region) ? [''] : [])];
  for (const region of regions) {
    const members = graph.nodes.filter((node) => (node.region ?? '') === region);
    const rows = new Map<number, number>();
    for (const node of [...members].sort((a, b) => column.get(a.id)! - column.get(b.id)! || a.label.localeCompare(b.label))) {
      const col = column.get(node.id)!;
      const row = rows.get(col) ?? 0;
      rows.set(col, row + 1);
      maxColumn = Math.max(maxColumn, col);
      placed.set(node.id, { node, x: 20 + col * (nodeWidth + columnGap), y: top + bandPadding + row * (nodeHeight + rowGap) });
    }
    const height = bandPadding + Math.max(1, ...rows.values()) * (nodeHeight + rowGap) + 4;
    bands.push({ region: region || 'global', y: top, height });
    top += height + 16;
  }
  return { placed, bands, width: 40 + (maxColumn + 1) * (nodeWidth + columnGap), height: top };
}

function edgePath(from: Placed, to: Placed): string {
  const x1 = from.x + nodeWidth;
  const y1 = from.y + nodeHeight / 2;
  const x2 = to.x;
  const y2 = to.y + nodeHeight / 2;
  const bend = Math.max(40, Math.abs(x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

function renderSvg(graph: ServiceGraph): string {
  const { placed, bands, width, height } = layout(graph);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="DuckStore service map">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>',
  ];
  for (const band of bands) {
    parts.push(
      `<g data-region-band="${escapeHtml(band.region)}"><rect x="6" y="${band.y}" width="${width - 12}" height="${band.height}" rx="10" fill="#f8fafc" stroke="#cbd5e1"/>` +
        `<text x="18" y="${band.y + 22}" font-size="14" font-weight="bold" fill="#334155">${escapeHtml(band.region)}</text></g>`,
    );
  }
  // Calls first and faint, hand-offs on top: the flow of the saga is what the eye should follow.
  for (const edge of graph.edges.filter((candidate) => !isHandOff(graph, candidate))) parts.push(renderEdge(edge, placed, false));
  for (const edge of graph.edges.filter((candidate) => isHandOff(graph, candidate))) parts.push(renderEdge(edge, placed, true));
  for (const { node, x, y } of placed.values()) {
    const [what, how] = nodeSummary(node);
    const failing = node.faults + node.errors > 0;
    parts.push(
      `<g data-node="${escapeHtml(node.label)}" data-kind="${node.kind}" data-context="${escapeHtml(node.context ?? '')}" data-region="${escapeHtml(node.region ?? '')}">` +
        `<title>${escapeHtml(node.id)}</title>` +
        `<rect x="${x}" y="${y}" width="${nodeWidth}" height="${nodeHeight}" rx="${node.kind === 'function' ? 8 : 24}" fill="${node.kind === 'function' ? (contextColours[node.context ?? ''] ?? '#e2e8f0') : '#ffffff'}" stroke="${failing ? '#dc2626' : '#475569'}" stroke-width="${failing ? 2 : 1}"/>` +
        `<text x="${x + 10}" y="${y + 18}" font-size="12" font-weight="bold" fill="#0f172a">${escapeHtml(node.label)}</text>` +
        `<text x="${x + 10}" y="${y + 34}" font-size="11" fill="#334155">${escapeHtml(what)}</text>` +
        `<text x="${x + 10}" y="${y + 49}" font-size="11" fill="${failing ? '#b91c1c' : '#334155'}">${escapeHtml(how)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function renderEdge(edge: GraphEdge, placed: Map<string, Placed>, handOff: boolean): string {
  const from = placed.get(edge.from);
  const to = placed.get(edge.to);
  if (!from || !to) return '';
  const failed = edge.errors + edge.faults;
  const midX = (from.x + nodeWidth + to.x) / 2;
  const midY = (from.y + to.y + nodeHeight) / 2;
  return (
    `<g data-edge="${escapeHtml(`${from.node.label}→${to.node.label}`)}"><path d="${edgePath(from, to)}" fill="none" stroke="${failed ? '#dc2626' : handOff ? '#334155' : '#cbd5e1'}" stroke-width="${handOff ? 1.8 : 1}" marker-end="url(#arrow)"/>` +
    (handOff || failed ? `<text x="${midX}" y="${midY - 3}" font-size="10" fill="#475569" text-anchor="middle">${edge.calls}${failed ? ` (${failed} failed)` : ''}</text>` : '') +
    '</g>'
  );
}

/** A self-contained page (no script, no network): the map as inline SVG, the node and edge tables, and the Mermaid source. */
export function renderHtml(graph: ServiceGraph, meta: { title: string; source: string; generatedAt: Date }): string {
  const label = new Map(graph.nodes.map((node) => [node.id, node.label]));
  const nodeRows = graph.nodes
    .map((node) => {
      const cells = [node.label, node.region ?? '', node.context ?? node.kind, String(node.calls), percent(node.errors, node.calls), percent(node.faults, node.calls), ms(node.latencyMs.p50), ms(node.latencyMs.p95)];
      return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const edgeRows = graph.edges
    .map((edge) => `<tr><td>${escapeHtml(label.get(edge.from) ?? edge.from)}</td><td>${escapeHtml(label.get(edge.to) ?? edge.to)}</td><td>${edge.calls}</td><td>${edge.errors}</td><td>${edge.faults}</td></tr>`)
    .join('\n');
  const window = graph.window.from && graph.window.to ? `${graph.window.from.toISOString()} – ${graph.window.to.toISOString()}` : 'no segments';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(meta.title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:20px;color:#0f172a;background:#fff}
h1{font-size:20px;margin:0 0 4px}p.meta{color:#475569;margin:0 0 14px;font-size:13px}
table{border-collapse:collapse;font-size:12px;margin:8px 0 18px}td,th{border:1px solid #cbd5e1;padding:3px 8px;text-align:left}th{background:#f1f5f9}
pre{background:#f8fafc;border:1px solid #e2e8f0;padding:10px;font-size:11px;overflow:auto}
</style></head>
<body>
<h1>${escapeHtml(meta.title)}</h1>
<p class="meta">${escapeHtml(meta.source)} · ${graph.traces} traces · regions ${escapeHtml(graph.regions.join(', ') || '-')} · ${escapeHtml(window)} · generated ${escapeHtml(meta.generatedAt.toISOString())}</p>
<div id="map">${renderSvg(graph)}</div>
<h2>Services</h2>
<table id="nodes"><tr><th>service</th><th>region</th><th>context / kind</th><th>calls</th><th>error rate</th><th>fault rate</th><th>p50</th><th>p95</th></tr>
${nodeRows}
</table>
<h2>Edges</h2>
<table id="edges"><tr><th>from</th><th>to</th><th>calls</th><th>errors</th><th>faults</th></tr>
${edgeRows}
</table>
<details><summary>Mermaid source</summary><pre>${escapeHtml(renderMermaid(graph))}</pre></details>
</body></html>
`;
}
