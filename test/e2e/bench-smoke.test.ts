import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../cli/bench/report';
import type { BenchReport } from '../../cli/bench/run';
import { main } from '../../cli/main';

/**
 * `duckstore bench`, smallest version, against the shared e2e cloud: it runs,
 * prints every table, and every figure is a number. A benchmark, not a timed
 * test: nothing here asserts that anything is fast or cheap. Adds about 20 s.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duckstore-bench-smoke-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

describe('duckstore bench (smoke)', () => {
  it('measures cold starts, throughput, requests and cost, and prints them as tables and JSON', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const file = path.join(dir, 'bench.json');
    const code = await main(
      ['bench', '--cold-start-runs', '2', '--concurrency', '1,2', '--orders-per-client', '2', '--runs-per-level', '1', '--json', '--out', file],
      (line) => out.push(line),
      (line) => err.push(line),
    );
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n')) as BenchReport;
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(report);

    // Cold starts: the floor first, then every function of both regions, each with a bundle and medians.
    expect(report.coldStarts[0]!.name).toMatch(/floor/);
    expect(report.coldStarts.length).toBeGreaterThanOrEqual(12);
    for (const entry of report.coldStarts) {
      expect(entry.failures, `${entry.name}: ${entry.firstError}`).toBe(0);
      for (const figure of [entry.minifiedBytes, entry.gzippedBytes, entry.initMs, entry.firstInvocationMs, entry.totalMs, entry.initRatio]) expect(finite(figure), entry.name).toBe(true);
    }

    // Throughput: every order of every level completed; latencies are numbers.
    expect(report.throughput.levels.map((level) => level.concurrency)).toEqual([1, 2]);
    for (const level of report.throughput.levels) {
      expect(level.completed).toBe(level.orders);
      for (const figure of [level.throughput, level.sagaP50Ms, level.sagaP95Ms, level.sagaP99Ms, level.cpu.machineBusy]) expect(finite(figure)).toBe(true);
    }
    expect(report.throughput.verdict).not.toBe('');

    // Requests, in the first level's window and over all levels: the orders the load placed, the client's own POSTs, EventBridge's deliveries.
    const { lowRate, allLevels } = report.requests;
    expect(lowRate.ordersCompleted).toBe(2);
    expect(allLevels.ordersCompleted).toBe(6);
    for (const analysis of [lowRate, allLevels]) {
      const perOrder = (caller: string, operation: string) => analysis.measured.find((count) => count.caller === caller && count.operation === operation)?.perOrder;
      expect(perOrder('client', 'POST /orders')).toBe(1);
      expect(perOrder('eventbridge', 'SendMessage')).toBeGreaterThan(0);
      // The functions' own requests are counted only in a cloud started with DUCKSTORE_COUNT_REQUESTS=1 (`npm run bench` does).
      if (report.requests.counted) expect(perOrder('function', 'TransactWriteItems')).toBeGreaterThan(0);
      expect(analysis.minimumAtMeasuredBatching.length).toBeGreaterThan(0);
      // Cost: every line and the total are numbers.
      for (const line of analysis.cost.lines) expect(finite(line.dollarsPerMillionOrders), line.item).toBe(true);
      expect(finite(analysis.cost.totalPerMillionOrders)).toBe(true);
    }
    for (const lever of report.cost.levers) expect(finite(lever.totalPerMillionOrders), lever.lever).toBe(true);

    const markdown = renderMarkdown(report);
    for (const heading of ['Bundles and cold starts', 'Saga throughput', 'AWS requests per completed order', 'Dollars per million']) expect(markdown).toContain(heading);
    console.log(markdown);
  });
});
