/** The bench report as markdown: the tables docs/performance.md shows. */
import type { BenchReport } from './run';

const fixed = (value: number | undefined, digits = 2): string => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));
const whole = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : String(Math.round(value)));
const kb = (bytes: number): string => (bytes / 1024).toFixed(0);
const mark = (ok: boolean): string => (ok ? 'yes' : '**no**');

function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const { goals, requests, cost } = report;
  const floor = report.coldStarts[0];
  const functions = report.coldStarts.slice(1);
  const sections: string[] = [];
  sections.push(
    `Run ${report.at} · \`${report.command}\` · ${report.machine.nproc} cores, ${report.machine.memoryGb} GB, ${report.machine.arch}, node ${report.machine.node}, ` +
      `load average ${report.machine.loadAverage.join(' / ')} at the end`,
  );

  sections.push(
    [
      `### Bundles and cold starts (median of ${floor?.runs ?? 0} fresh processes each; ratio to the floor, goal ≤ ${goals.coldStartRatio}×, bundle < ${goals.bundleKb} KB)`,
      '',
      markdownTable(
        ['function', 'region', 'minified KB', 'gzip KB', 'INIT ms', 'of which require ms', 'INIT ratio', 'first invocation ms', 'INIT + first ms', 'total ratio', 'first invocation event', 'goals met'],
        report.coldStarts.map((entry) => [
          entry.name,
          entry.region,
          kb(entry.minifiedBytes),
          kb(entry.gzippedBytes),
          whole(entry.initMs),
          whole(entry.loadMs),
          fixed(entry.initRatio),
          whole(entry.firstInvocationMs),
          whole(entry.totalMs),
          fixed(entry.totalRatio),
          `${entry.event}${entry.failures ? ` (${entry.failures} failed: ${entry.firstError ?? ''})` : ''}`,
          entry === floor ? '(floor)' : mark((entry.initRatio ?? Infinity) <= goals.coldStartRatio && entry.minifiedBytes < goals.bundleKb * 1024),
        ]),
      ),
      '',
      `Worst INIT ratio: ${fixed(Math.max(...functions.map((entry) => entry.initRatio ?? 0)))}×; largest bundle ${kb(Math.max(...functions.map((entry) => entry.minifiedBytes)))} KB minified.`,
    ].join('\n'),
  );

  sections.push(
    [
      `### Saga throughput and latency (closed loop, ${report.throughput.levels[0]?.runs.length ?? 0} runs per level, medians)`,
      '',
      markdownTable(
        ['clients', 'orders', 'completed', 'sagas/s', 'saga p50 ms', 'p95 ms', 'p99 ms', 'POST p50 ms', 'machine CPU', 'ministack cores', 'busiest ministack thread', 'Lambda worker cores', 'deepest queue'],
        report.throughput.levels.map((level) => {
          const deepest = Object.entries(level.maxQueueDepth).sort((a, b) => b[1] - a[1])[0];
          return [
            level.concurrency,
            level.orders,
            level.completed,
            level.throughput,
            whole(level.sagaP50Ms),
            whole(level.sagaP95Ms),
            whole(level.sagaP99Ms),
            whole(level.apiP50Ms),
            `${Math.round(level.cpu.machineBusy * 100)} %`,
            level.cpu.ministackCores,
            `${Math.round(level.cpu.ministackBusiestThread * 100)} %`,
            level.cpu.workerCores,
            deepest ? `${deepest[0]} ${deepest[1]}` : '-',
          ];
        }),
      ),
      '',
      `Saturation: ${report.throughput.verdict}.`,
    ].join('\n'),
  );

  const low = requests.lowRate;
  const all = requests.allLevels;
  const keyOf = (line: { caller: string; service: string; operation: string }) => `${line.caller}|${line.service}|${line.operation}`;
  const keys = [...new Set([...low.measured, ...low.minimumAtMeasuredBatching, ...all.measured].map(keyOf))].sort();
  const perOrder = (lines: readonly { caller: string; service: string; operation: string; perOrder: number }[], key: string) => lines.find((line) => keyOf(line) === key)?.perOrder;
  const batchingOf = (analysis: typeof low) =>
    `${fixed(analysis.batching.sqsBatch)} messages per SQS batch, ${fixed(analysis.batching.streamBatch)} records per stream batch, ` +
    `${fixed(analysis.batching.eventsPerPutEvents)} entries per PutEvents, ${fixed(analysis.batching.rowsPerDelete)} rows per outbox delete`;
  const ratios = (analysis: typeof low) =>
    `billed requests (SQS, EventBridge, DynamoDB; not the client's) ${fixed(analysis.billedPerOrder)} vs minimum ${fixed(analysis.minimumBilledPerOrder)} = **${fixed(analysis.billedRatio)}×**; ` +
    `made by the functions ${fixed(analysis.functionPerOrder)} vs ${fixed(analysis.minimumFunctionPerOrder)} = **${fixed(analysis.functionRatio)}×**`;
  sections.push(
    [
      `### AWS requests per completed order (goal ≤ ${goals.requestsRatio}× the minimum)`,
      '',
      requests.counted
        ? `Two windows of the same run: **${low.window}** (${low.ordersCompleted} orders; ${batchingOf(low)}), the default-traffic figure, and **${all.window}** (${all.ordersCompleted} orders; ${batchingOf(all)}). Each minimum is taken at its window's batching.`
        : "**The functions' requests were not counted**: the cloud was not started with `DUCKSTORE_COUNT_REQUESTS=1` (`npm run bench` does that). Only the service-side and client counts below are measured.",
      '',
      markdownTable(
        ['caller', 'service', 'operation', `measured, ${low.window}`, 'minimum', `measured, all levels`, 'minimum'],
        keys.map((key) => {
          const [caller, service, operation] = key.split('|');
          return [caller!, service!, operation!, fixed(perOrder(low.measured, key) ?? 0), fixed(perOrder(low.minimumAtMeasuredBatching, key)), fixed(perOrder(all.measured, key) ?? 0), fixed(perOrder(all.minimumAtMeasuredBatching, key))];
        }),
      ),
      '',
      `${low.window}: ${ratios(low)}.  `,
      `All levels: ${ratios(all)}.  `,
      `At full batches the minimum is ${fixed(requests.minimumAtFullBatching.filter((line) => line.billed).reduce((sum, line) => sum + line.perOrder, 0))} billed requests per order.`,
      '',
      `Requests per order by function, ${low.window} (where a count above the minimum comes from):`,
      '',
      markdownTable(
        ['function', 'invocations / order', 'mean duration ms', 'requests per order'],
        Object.entries(low.invocationsPerOrder)
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([name, invocations]) => [
            name,
            fixed(invocations),
            whole(low.meanDurationMs[name]),
            Object.entries(low.requestsByFunction[name] ?? {})
              .sort((a, b) => b[1] - a[1])
              .map(([operation, count]) => `${operation} ${fixed(count)}`)
              .join(', ') || '-',
          ]),
      ),
      '',
      `Lambda invocations per order: ${fixed(low.usage.lambdaInvocations)} (minimum ${fixed(low.minimumInvocationsPerOrder)}) at ${low.window}; ${fixed(all.usage.lambdaInvocations)} (minimum ${fixed(all.minimumInvocationsPerOrder)}) over all levels.`,
    ].join('\n'),
  );

  sections.push(
    [
      `### Dollars per million completed orders on AWS (prices of ${cost.pricesDate}, bench/prices-2026-11.json; goal < $${goals.dollarsPerMillion} at default settings)`,
      '',
      markdownTable(
        ['item', `per order, ${low.window}`, 'unit', `$ per million, ${low.window}`, '$ per million, all levels'],
        low.cost.lines.map((line, index) => [
          line.item,
          line.quantityPerOrder < 10 ? line.quantityPerOrder.toFixed(4) : Math.round(line.quantityPerOrder),
          line.unit,
          fixed(line.dollarsPerMillionOrders),
          fixed(all.cost.lines[index]?.dollarsPerMillionOrders),
        ]),
      ),
      `| **total** | | | **${fixed(low.cost.totalPerMillionOrders)}** | **${fixed(all.cost.totalPerMillionOrders)}** |`,
      '',
      `The default-settings figure is the ${low.window} window: a million orders a month is 0.4 orders per second, where batches hold about one message, as they do there. ` +
        `INIT assumes ${cost.coldStartFraction * 100} % of invocations start cold, each for the function's median INIT above. Levers, from the ${low.window} usage:`,
      '',
      markdownTable(['lever', '$ per million orders'], cost.levers.map((lever) => [lever.lever, fixed(lever.totalPerMillionOrders)])),
    ].join('\n'),
  );
  return sections.join('\n\n');
}
