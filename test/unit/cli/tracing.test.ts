import type { Service } from '@aws-sdk/client-xray';
import { describe, expect, it } from 'vitest';
import { renderHtml, renderMermaid } from '../../../cli/tracing/render';
import { contextOf, flattenSegments, shortFunctionName, type SegmentDocument } from '../../../cli/tracing/segments';
import { buildServiceGraph } from '../../../cli/tracing/service-graph';
import { mergeTimeline, traceHops } from '../../../cli/tracing/timeline';
import { parseSince, serviceGraphFromXray } from '../../../cli/tracing/trace-store';

const orderId = '0b6f3c1e-2d4a-4f7e-9a51-6c2e8d9f0a13';
const trace = '1-6b074bd0-aecdea51ca0791ab6d874a27';
const t0 = 1_795_640_272.5;
const hop = (eventType: string, context: string, component: string, extra: Record<string, string | number | boolean> = {}) => ({ orderId, eventType, context, component, region: 'x', ...extra });

/**
 * One order's saga as the collector stores it: segments with nested
 * subsegments, and subsegments streamed on their own (`type: subsegment`).
 * The inventory consumer continues the relay's PutEvents (AWS: AWSTraceHeader);
 * the payments consumer continues the inventory consumer's write (local: the
 * header in the envelope).
 */
const documents: SegmentDocument[] = [
  {
    trace_id: trace, id: 'a000000000000000', name: 'DuckStore-primary-OrdersApiFunction135EB4F5-CD4C91A730EFD', start_time: t0, end_time: t0 + 0.03, origin: 'AWS::Lambda::Function', aws: { region: 'us-east-1' },
    subsegments: [
      {
        id: 'a100000000000000', name: '## DuckStore-primary-OrdersApiFunction135EB4F5-CD4C91A730EFD', start_time: t0, end_time: t0 + 0.03, annotations: hop('PlaceOrder', 'orders', 'orders-api'),
        subsegments: [{ id: 'a200000000000000', name: 'DynamoDB', namespace: 'aws', start_time: t0 + 0.01, end_time: t0 + 0.02, aws: { operation: 'TransactWriteItems', region: 'us-east-1' } }],
      },
    ],
  },
  {
    trace_id: trace, id: 'b000000000000000', parent_id: 'a100000000000000', name: 'DuckStore-primary-OrdersRelayFunction527D70FC-585646093F3AB', start_time: t0 + 0.2, end_time: t0 + 0.25, aws: { region: 'us-east-1' }, annotations: hop('OrderPlaced', 'orders', 'outbox-relay'),
    subsegments: [{ id: 'b100000000000000', name: 'EventBridge', namespace: 'aws', start_time: t0 + 0.21, end_time: t0 + 0.24, aws: { operation: 'PutEvents', region: 'us-east-1' } }],
  },
  {
    trace_id: trace, id: 'c000000000000000', parent_id: 'b100000000000000', name: 'DuckStore-primary-InventoryConsumerFunction4B35AB10EEAE993F673B5', start_time: t0 + 0.4, end_time: t0 + 0.46, aws: { region: 'us-east-1' }, fault: true,
    annotations: hop('OrderPlaced', 'inventory', 'inventory-consumer', { receiveCount: 2 }),
  },
  {
    trace_id: trace, id: 'd000000000000000', parent_id: 'c000000000000000', name: 'DuckStore-secondary-PaymentsConsumerFunction72CA1DB62F1FD227DA34', start_time: t0 + 0.8, end_time: t0 + 0.95, aws: { region: 'us-west-2' },
    annotations: hop('InventoryReserved', 'payments', 'payments-consumer'),
  },
  // Streamed on their own, before or after their segment: only trace and parent say where they belong.
  { type: 'subsegment', trace_id: trace, parent_id: 'd000000000000000', id: 'd100000000000000', name: 'provider.example', namespace: 'remote', start_time: t0 + 0.82, end_time: t0 + 0.9, http: { request: { url: 'https://provider.example/v1/authorizations', method: 'POST' }, response: { status: 201 } } },
  { type: 'subsegment', trace_id: trace, parent_id: 'd100000000000000', id: 'd200000000000000', name: 'DynamoDB', namespace: 'aws', start_time: t0 + 0.83, end_time: t0 + 0.84, error: true, aws: { operation: 'GetItem', region: 'us-west-2' } },
  {
    trace_id: trace, id: 'e000000000000000', parent_id: 'a100000000000000', name: 'DuckStore-primary-NotificationsConsumerFunction5E51FD62FA4B2AB12', start_time: t0 + 1.2, end_time: t0 + 1.21, aws: { region: 'us-east-1' }, error: true,
    annotations: hop('OrderConfirmed', 'notifications', 'notifications-consumer', { deadLettered: true }),
  },
  // A GET of the order in a trace of its own: annotated with the order, but not a hop of its saga.
  {
    trace_id: '1-6b074bd1-000000000000000000000001', id: 'f000000000000000', name: 'DuckStore-primary-OrdersApiFunction135EB4F5-CD4C91A730EFD', start_time: t0 + 0.5, end_time: t0 + 0.51, aws: { region: 'us-east-1' },
    subsegments: [{ id: 'f100000000000000', name: '## DuckStore-primary-OrdersApiFunction135EB4F5-CD4C91A730EFD', start_time: t0 + 0.5, end_time: t0 + 0.51, annotations: { orderId } }],
  },
];

describe('flattenSegments', () => {
  it('puts streamed subsegments under the segment their parent chain reaches, in its region', () => {
    const spans = flattenSegments(documents);
    const dynamo = spans.find((span) => span.id === 'd200000000000000')!;
    expect(dynamo).toMatchObject({ kind: 'subsegment', segmentId: 'd000000000000000', region: 'us-west-2', error: true });
    expect(spans.find((span) => span.id === 'a200000000000000')).toMatchObject({ segmentId: 'a000000000000000', parentId: 'a100000000000000' });
  });
});

describe('function names', () => {
  it.each([
    ['DuckStore-primary-OrdersApiFunction135EB4F5-CD4C91A730EFD', 'OrdersApi'],
    ['DuckStore-secondary-PaymentProviderSimulatorFunctio011F7AF2B5C50', 'PaymentProviderSimulator'],
    ['DuckStore-primary-OrdersDeadlinesArmingFunctionE72E2C8C902811244', 'OrdersDeadlinesArming'],
    ['DuckStore-primary-OrdersDeadlinesSweeper54AB44FB-6D9FA08C6F1DE', 'OrdersDeadlinesSweeper'],
    ['DuckStore-primary-ForwardTouswest2ForwardingFunctio05D61A12F9427', 'ForwarderTo-us-west-2'],
    ['my-own-function', 'my-own-function'],
  ])('shortens %s to %s', (name, short) => {
    expect(shortFunctionName(name)).toBe(short);
  });

  it('finds the context a function belongs to', () => {
    expect([contextOf('OrdersRelay'), contextOf('InventoryConsumer'), contextOf('PaymentsConsumer'), contextOf('NotificationsConsumer'), contextOf('ForwarderTo-us-east-1')]).toEqual([
      'orders',
      'inventory',
      'payments',
      'notifications',
      undefined,
    ]);
  });
});

describe('buildServiceGraph', () => {
  const graph = buildServiceGraph(flattenSegments(documents));
  const node = (label: string, region?: string) => graph.nodes.find((candidate) => candidate.label === label && (!region || candidate.region === region));
  const edge = (from: string, to: string) => graph.edges.find((candidate) => candidate.from === node(from)?.id && candidate.to === node(to)?.id);

  it('has a node per function and per called service and region, with calls, errors, faults and latency', () => {
    expect(node('OrdersApi')).toMatchObject({ kind: 'function', region: 'us-east-1', context: 'orders', calls: 2 });
    expect(node('InventoryConsumer')).toMatchObject({ context: 'inventory', calls: 1, faults: 1, latencyMs: { p50: 60, p95: 60 } });
    expect(node('DynamoDB', 'us-west-2')).toMatchObject({ kind: 'aws', calls: 1, errors: 1 });
    expect(node('HTTP provider.example')).toMatchObject({ kind: 'remote', region: 'us-west-2' });
    expect(graph.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(graph.traces).toBe(2);
  });

  it('draws hand-offs: from the function that wrote the event, or from the bus call a consumer continues', () => {
    expect(edge('OrdersApi', 'OrdersRelay')).toMatchObject({ calls: 1 });
    expect(edge('OrdersRelay', 'EventBridge')).toMatchObject({ calls: 1 });
    expect(edge('EventBridge', 'InventoryConsumer')).toMatchObject({ calls: 1, faults: 1 });
    expect(edge('InventoryConsumer', 'PaymentsConsumer')).toMatchObject({ calls: 1 });
    expect(edge('PaymentsConsumer', 'HTTP provider.example')).toMatchObject({ calls: 1 });
    expect(edge('OrdersRelay', 'InventoryConsumer')).toBeUndefined();
  });

  it('renders Mermaid with a subgraph per region', () => {
    const mermaid = renderMermaid(graph);
    expect(mermaid).toMatch(/^flowchart LR\n/);
    expect(mermaid).toContain('subgraph us_east_1 ["us-east-1"]');
    expect(mermaid).toContain('subgraph us_west_2 ["us-west-2"]');
    expect(mermaid).toMatch(/n\d+\["InventoryConsumer<br\/>inventory · 1 calls<br\/>err 0% · fault 100% · p50 60 ms"\]/);
    expect(mermaid.match(/-->\|/g)).toHaveLength(graph.edges.length);
  });

  it('renders a self-contained page: every context and region on the map, no script', () => {
    const html = renderHtml(graph, { title: 'map <test>', source: 'fixture', generatedAt: new Date('2026-01-01T00:00:00Z') });
    for (const context of ['orders', 'inventory', 'payments', 'notifications']) expect(html).toContain(`data-context="${context}"`);
    for (const region of ['us-east-1', 'us-west-2']) expect(html).toContain(`data-region-band="${region}"`);
    expect(html).toContain('map &#60;test&#62;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('traceHops', () => {
  const hops = traceHops(flattenSegments(documents), orderId);

  it("lists the order's hops in start order, with the call to the provider, and not the reads of the order", () => {
    expect(hops.map((h) => `${h.component} ${h.eventType}`)).toEqual([
      'orders-api PlaceOrder',
      'outbox-relay OrderPlaced',
      'inventory-consumer OrderPlaced',
      'payments-consumer InventoryReserved',
      'HTTP provider.example authorizations',
      'notifications-consumer OrderConfirmed',
    ]);
  });

  it('links each hop to the hop it continues, through the bus call where there is one', () => {
    const parentOf = Object.fromEntries(hops.map((h) => [`${h.component} ${h.eventType}`, h.parent?.component]));
    expect(parentOf).toMatchObject({
      'outbox-relay OrderPlaced': 'orders-api',
      'inventory-consumer OrderPlaced': 'outbox-relay',
      'payments-consumer InventoryReserved': 'inventory-consumer',
      'HTTP provider.example authorizations': 'payments-consumer',
    });
    expect(hops.every((h) => h.parented)).toBe(true);
  });

  it('counts retries and dead-lettering, and says when a parent is missing', () => {
    const orphan = flattenSegments([{ ...documents[3]!, parent_id: 'ffffffffffffffff' }]);
    expect(traceHops(orphan, orderId)[0]).toMatchObject({ parented: false, startsTrace: false, parent: undefined });
    const { parent_id: _parent, ...withoutHeader } = documents[3]!;
    expect(traceHops(flattenSegments([withoutHeader]), orderId)[0]).toMatchObject({ parented: true, startsTrace: true });
    expect(hops.find((h) => h.component === 'inventory-consumer')).toMatchObject({ retries: 1, failed: true, deadLettered: false });
    expect(hops.find((h) => h.component === 'notifications-consumer')).toMatchObject({ deadLettered: true });
  });

  it('merges the state changes of the tables with the hops, in time order', () => {
    const timeline = mergeTimeline(
      [
        { context: 'orders', region: 'us-east-1', status: 'PENDING', at: new Date((t0 + 0.02) * 1000).toISOString() },
        { context: 'orders', region: 'us-east-1', status: 'CONFIRMED', at: new Date((t0 + 1.1) * 1000).toISOString() },
      ],
      hops,
    );
    expect(timeline.map((entry) => entry.what)).toEqual([
      'orders-api PlaceOrder',
      'state PENDING',
      'outbox-relay OrderPlaced',
      'inventory-consumer OrderPlaced',
      'payments-consumer InventoryReserved',
      'HTTP provider.example authorizations',
      'state CONFIRMED',
      'notifications-consumer OrderConfirmed',
    ]);
    expect(timeline.find((entry) => entry.what.startsWith('inventory-consumer'))!.notes).toEqual(['retry 1', 'failed', 'after outbox-relay']);
    expect(timeline.find((entry) => entry.what.startsWith('notifications'))!.notes).toContain('dead-lettered');
  });
});

describe('AWS X-Ray', () => {
  it("turns a region's GetServiceGraph into the same graph, without the client node", () => {
    const services: Service[] = [
      { ReferenceId: 0, Name: 'client', Type: 'client', Edges: [{ ReferenceId: 1 }] },
      {
        ReferenceId: 1,
        Name: 'DuckStore-primary-OrdersApiFunction135EB4F5-CD4C91A730EFD',
        Type: 'AWS::Lambda::Function',
        SummaryStatistics: { TotalCount: 10, ErrorStatistics: { TotalCount: 1 }, FaultStatistics: { TotalCount: 2 } },
        ResponseTimeHistogram: [{ Value: 0.02, Count: 9 }, { Value: 0.5, Count: 1 }],
        Edges: [{ ReferenceId: 2, SummaryStatistics: { TotalCount: 10, FaultStatistics: { TotalCount: 1 } } }],
      },
      { ReferenceId: 2, Name: 'DynamoDB', Type: 'AWS::DynamoDB::Table', SummaryStatistics: { TotalCount: 10 } },
    ];
    const graph = serviceGraphFromXray('us-east-1', services, { from: new Date(0), to: new Date(1) });
    expect(graph.nodes.map((n) => n.label)).toEqual(['OrdersApi', 'DynamoDB']);
    expect(graph.nodes[0]).toMatchObject({ kind: 'function', context: 'orders', region: 'us-east-1', calls: 10, errors: 1, faults: 2, latencyMs: { p50: 20, p95: 500 } });
    expect(graph.edges).toEqual([{ from: 'us-east-1|1', to: 'us-east-1|2', calls: 10, errors: 0, faults: 1 }]);
  });

  it('reads --since as a duration', () => {
    expect([parseSince('90s'), parseSince('15m'), parseSince('2h'), parseSince('1d')]).toEqual([90_000, 900_000, 7_200_000, 86_400_000]);
    expect(() => parseSince('yesterday')).toThrow(/--since/);
  });
});
