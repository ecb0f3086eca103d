import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PlaceOrderRequest } from '#contracts/api';
import type { CancellationReason, OrderStatus } from '#contracts/primitives';
import { defaultAuditOptions, type AuditReport } from '../../functions/auditor/domain/report';
import { auditUntilGreen } from '../../functions/auditor/domain/use-cases';
import { OrdersApiClient, type OrderView } from '../api-client';
import { auditPortsOf } from '../audit-sources';
import { table, type Command } from '../command';
import { discoverDeployment, ordersApiUrl } from '../deployment';
import { queueDepths, type QueueDepth } from '../queues';
import { hops, readSagaTimeline, type SagaStep } from '../saga-timeline';
import { percentile } from '../stats';
import { formatAuditReport, secondsFlag } from './audit';
import { contextsOn, drawServiceMap } from './service-map';

interface ScenarioOrder {
  label: string;
  request: PlaceOrderRequest;
  expected: { status: Exclude<OrderStatus, 'PENDING'>; reason?: CancellationReason };
  /** Extra POSTs with the same Idempotency-Key: two at once, the rest after. */
  retries?: number;
}

const everyday = ['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA', 'DUCK-ASTRO'] as const;

/**
 * A realistic mix: everyday orders, a client that retries its POST, an order
 * for more scarce ducks than exist (seeded stock of DUCK-LIMITED is below 100),
 * and a gold duck whose price is above the provider's authorization limit.
 */
export function demoScenario(normalOrders = 8): ScenarioOrder[] {
  const normal = Array.from({ length: normalOrders }, (_, index): ScenarioOrder => ({
    label: `normal-${index + 1}`,
    request: {
      customerId: `customer-${index + 1}`,
      items: [
        { sku: everyday[index % everyday.length]!, quantity: 1 + (index % 3) },
        ...(index % 2 === 0 ? [{ sku: everyday[(index + 1) % everyday.length]!, quantity: 1 }] : []),
      ],
    },
    expected: { status: 'CONFIRMED' },
  }));
  return [
    ...normal,
    { label: 'retried-post', request: { customerId: 'customer-retry', items: [{ sku: 'DUCK-CLASSIC', quantity: 1 }] }, expected: { status: 'CONFIRMED' }, retries: 3 },
    { label: 'out-of-stock', request: { customerId: 'customer-scarce', items: [{ sku: 'DUCK-LIMITED', quantity: 100 }] }, expected: { status: 'CANCELLED', reason: 'OUT_OF_STOCK' } },
    { label: 'payment-declined', request: { customerId: 'customer-gold', items: [{ sku: 'DUCK-GOLD', quantity: 1 }] }, expected: { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' } },
  ];
}

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

export interface DemoReport {
  target: string;
  startedAt: string;
  durationMs: number;
  orders: { label: string; orderId: string; expected: ScenarioOrder['expected']; status: OrderStatus; cancellationReason?: string; sagaMs?: number; steps: SagaStep[] }[];
  byState: Record<string, number>;
  sagaLatencyMs: { p50?: number; p95?: number; count: number };
  hopLatencyMs: Record<string, { p50?: number; p95?: number; count: number }>;
  queues: QueueDepth[];
  /**
   * The invariant audit of the whole deployment once the sagas ended, with an
   * outbox bound of 0 (every downstream effect required, none excused as in
   * flight), repeated until green or `--audit-wait`: the system converged.
   */
  audit: AuditReport & { attempts: number; convergedAfterMs: number | undefined };
  checks: Check[];
  /** The service map of the run (docs/observability.md), or why it could not be drawn. */
  serviceMap?: { html: string; mermaid: string; png: string | undefined; regions: string[]; contexts: string[] } | { error: string };
}

const terminalEntry = (order: OrderView) => (order.status === 'PENDING' ? undefined : order.history.at(-1));

export const demoCommand: Command = {
  name: 'demo',
  usage: 'demo [--orders N] [--timeout SECONDS] [--audit-wait SECONDS] [--report-dir DIR]',
  summary: 'run the demo scenario through the API, wait for every saga, audit every invariant, print the report (exit 1 if a check fails)',
  options: {
    orders: { type: 'string', default: '8' },
    timeout: { type: 'string', default: '180' },
    'audit-wait': { type: 'string', default: '60' },
    'report-dir': { type: 'string', default: '.local/reports' },
  },
  async run(context) {
    const values = context.values as { orders: string; timeout: string; 'audit-wait': string; 'report-dir': string };
    const auditWaitMs = secondsFlag('audit-wait', values['audit-wait'], 60) * 1000;
    const started = Date.now();
    const deployment = await discoverDeployment(context.target, context.topology);
    const api = new OrdersApiClient(ordersApiUrl(deployment), context.token);
    const scenario = demoScenario(Number(values.orders));
    const log = (line: string) => (context.json ? undefined : context.out(line));

    log(`placing ${scenario.length} orders on target ${context.target.name} (${api.baseUrl})`);
    const placed = await Promise.all(
      scenario.map(async (entry) => {
        const key = randomUUID();
        const concurrent = await Promise.all([api.placeOrder(entry.request, key), ...(entry.retries ? [api.placeOrder(entry.request, key)] : [])]);
        const later = [];
        for (let retry = 1; retry < (entry.retries ?? 0); retry++) later.push(await api.placeOrder(entry.request, key));
        return { entry, responses: [...concurrent, ...later] };
      }),
    );

    log(`waiting for every saga to end (timeout ${values.timeout}s)`);
    const deadline = Date.now() + Number(values.timeout) * 1000;
    const finals = await Promise.all(placed.map(({ responses }) => api.waitForTerminal(responses[0]!.orderId, { timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: 500 })));
    const timelines = await Promise.all(finals.map((order) => readSagaTimeline(deployment, order.orderId)));
    log(`auditing every invariant until the system has converged (at most ${auditWaitMs / 1000}s)`);
    const auditPorts = auditPortsOf(deployment);
    const audited = await auditUntilGreen(auditPorts, { outboxBound: 0, grace: defaultAuditOptions.grace, timeoutMs: auditWaitMs }).finally(() => auditPorts.destroy());
    const queues = await queueDepths(deployment);

    const orders = placed.map(({ entry }, index) => {
      const order = finals[index]!;
      const end = terminalEntry(order);
      return {
        label: entry.label,
        orderId: order.orderId,
        expected: entry.expected,
        status: order.status,
        ...(order.cancellationReason ? { cancellationReason: order.cancellationReason } : {}),
        ...(end ? { sagaMs: Date.parse(end.at) - Date.parse(order.createdAt) } : {}),
        steps: timelines[index]!,
      };
    });
    const sagaTimes = orders.flatMap((order) => (order.sagaMs === undefined ? [] : [order.sagaMs]));
    const hopTimes = new Map<string, number[]>();
    for (const timeline of timelines) for (const { hop, ms } of hops(timeline)) hopTimes.set(hop, [...(hopTimes.get(hop) ?? []), ms]);

    const keyed = placed.filter(({ responses }) => responses.length > 1);
    const checks: Check[] = [
      {
        name: 'one order per Idempotency-Key',
        passed: keyed.every(({ responses }) => new Set(responses.map((r) => r.orderId)).size === 1 && responses.filter((r) => !r.replayed).length === 1),
        detail: keyed.map(({ entry, responses }) => `${entry.label}: ${responses.length} POSTs → ${new Set(responses.map((r) => r.orderId)).size} order(s), ${responses.filter((r) => r.replayed).length} replayed`).join('; '),
      },
      {
        name: 'no order stuck',
        passed: orders.every((order) => order.status !== 'PENDING'),
        detail: `${orders.filter((order) => order.status === 'PENDING').length} of ${orders.length} still PENDING after ${values.timeout}s`,
      },
      {
        name: 'each order reached its expected outcome',
        passed: orders.every((order) => order.status === order.expected.status && (order.expected.reason ?? order.cancellationReason) === order.cancellationReason),
        detail: orders.filter((order) => order.status !== order.expected.status || (order.expected.reason ?? order.cancellationReason) !== order.cancellationReason).map((order) => `${order.label}: ${order.status} ${order.cancellationReason ?? ''}, expected ${order.expected.status} ${order.expected.reason ?? ''}`).join('; ') || 'all as expected',
      },
      {
        name: 'every DLQ empty',
        passed: queues.filter((queue) => queue.isDeadLetterQueue).every((queue) => queue.visible + queue.inFlight === 0),
        detail: queues.filter((queue) => queue.isDeadLetterQueue && queue.visible + queue.inFlight > 0).map((queue) => `${queue.region} ${queue.name}: ${queue.visible}`).join('; ') || 'all empty',
      },
      {
        name: 'every invariant of DESIGN.md holds (audit)',
        passed: audited.report.ok,
        detail: audited.report.ok
          ? `all ${audited.report.invariants.length} pass over ${audited.report.counts.orders.total} orders, converged after ${audited.waitedMs} ms (${audited.attempts} audit(s))`
          : `violated: ${audited.report.invariants.filter((invariant) => !invariant.passed).map((invariant) => `${invariant.id} ${invariant.title} (${invariant.violations})`).join('; ')} after ${audited.waitedMs} ms`,
      },
    ];

    const report: DemoReport = {
      target: context.target.name,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      orders,
      byState: orders.reduce<Record<string, number>>((counts, order) => ({ ...counts, [order.status]: (counts[order.status] ?? 0) + 1 }), {}),
      sagaLatencyMs: { p50: percentile(sagaTimes, 50), p95: percentile(sagaTimes, 95), count: sagaTimes.length },
      hopLatencyMs: Object.fromEntries([...hopTimes].map(([hop, values]) => [hop, { p50: percentile(values, 50), p95: percentile(values, 95), count: values.length }])),
      queues,
      audit: { ...audited.report, attempts: audited.attempts, convergedAfterMs: audited.report.ok ? audited.waitedMs : undefined },
      checks,
    };
    mkdirSync(values['report-dir'], { recursive: true });
    const stamp = report.startedAt.replace(/[:.]/g, '-');
    // The run's traces as a map: a report that cannot draw it (no collector, no X-Ray access) still reports the rest.
    try {
      const window = { from: new Date(started - 5_000), to: new Date() };
      const { graph, files } = await drawServiceMap(context.target, deployment.regions.map((region) => region.region), window, join(values['report-dir'], `service-map-${stamp}`), 'the demo run');
      report.serviceMap = { html: files.html, mermaid: files.mermaid, png: files.png, regions: graph.regions, contexts: contextsOn(graph) };
    } catch (error) {
      report.serviceMap = { error: (error as Error).message };
    }
    const reportPath = resolve(join(values['report-dir'], `demo-${stamp}.json`));
    writeFileSync(reportPath, JSON.stringify(report, null, 2));

    if (context.json) context.out(JSON.stringify(report, null, 2));
    else printReport(report, reportPath, context.out);
    return checks.every((check) => check.passed) ? 0 : 1;
  },
};

function printReport(report: DemoReport, reportPath: string, out: (line: string) => void): void {
  const ms = (value: number | undefined) => (value === undefined ? '-' : `${value} ms`);
  out('');
  out(table([['order', 'expected', 'final', 'saga'], ...report.orders.map((o) => [o.label, `${o.expected.status} ${o.expected.reason ?? ''}`.trim(), `${o.status} ${o.cancellationReason ?? ''}`.trim(), ms(o.sagaMs)])]));
  out('');
  out(`orders by final state: ${Object.entries(report.byState).map(([state, count]) => `${state} ${count}`).join(', ')}`);
  out(`saga latency: p50 ${ms(report.sagaLatencyMs.p50)}, p95 ${ms(report.sagaLatencyMs.p95)} (${report.sagaLatencyMs.count} orders)`);
  out('');
  out(table([['hop', 'p50', 'p95', 'n'], ...Object.entries(report.hopLatencyMs).map(([hop, s]) => [hop, ms(s.p50), ms(s.p95), s.count])]));
  out('');
  out(table([['region', 'queue', 'kind', 'visible', 'in flight'], ...report.queues.sort((a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name)).map((q) => [q.region, q.name, q.isDeadLetterQueue ? 'DLQ' : 'queue', q.visible, q.inFlight])]));
  out('');
  for (const line of formatAuditReport(report.audit)) out(line);
  out('');
  for (const check of report.checks) out(`${check.passed ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  if (report.serviceMap && 'html' in report.serviceMap) {
    out(`\nservice map (${report.serviceMap.contexts.join(', ')} in ${report.serviceMap.regions.join(', ')}): ${report.serviceMap.html}${report.serviceMap.png ? `, ${report.serviceMap.png}` : ''}`);
  } else if (report.serviceMap) {
    out(`\nservice map: not drawn (${report.serviceMap.error})`);
  }
  out(`\nreport: ${reportPath}`);
}
