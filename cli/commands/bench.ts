import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command';
import { renderMarkdown } from '../bench/report';
import { runBench } from '../bench/run';
import { UsageError } from '../targets';

const positiveIntegers = (flag: string, value: string): number[] => {
  const numbers = value.split(',').map(Number);
  if (numbers.length === 0 || numbers.some((number) => !Number.isInteger(number) || number < 1)) throw new UsageError(`--${flag} ${value}: expected positive integers`);
  return numbers;
};

export const benchCommand: Command = {
  name: 'bench',
  usage: 'bench [--cold-start-runs 15] [--concurrency 1,2,4,8,16,32] [--orders-per-client 8] [--runs-per-level 3] [--out FILE.json] [--assembly CDK_OUT]',
  summary: 'benchmark: bundle sizes and cold starts against a floor, saga throughput to saturation, AWS requests and dollars per order (a benchmark: read the figures, do not assert them)',
  options: {
    'cold-start-runs': { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '1,2,4,8,16,32' },
    'orders-per-client': { type: 'string', default: '8' },
    'runs-per-level': { type: 'string', default: '3' },
    timeout: { type: 'string', default: '120' },
    'cold-start-fraction': { type: 'string', default: '0.01' },
    assembly: { type: 'string' },
    out: { type: 'string' },
  },
  async run(context) {
    const values = context.values as Record<string, string | undefined>;
    const [coldStartRuns] = positiveIntegers('cold-start-runs', values['cold-start-runs']!);
    const [ordersPerClient] = positiveIntegers('orders-per-client', values['orders-per-client']!);
    const [runsPerLevel] = positiveIntegers('runs-per-level', values['runs-per-level']!);
    const coldStartFraction = Number(values['cold-start-fraction']);
    if (!(coldStartFraction >= 0 && coldStartFraction <= 1)) throw new UsageError(`--cold-start-fraction ${values['cold-start-fraction']}: expected 0 to 1`);
    const command = `duckstore bench ${process.argv.slice(2).filter((arg) => arg !== 'bench').join(' ')}`.trim();
    const report = await runBench({
      target: context.target,
      topology: context.topology,
      token: context.token,
      coldStartRuns: coldStartRuns!,
      levels: positiveIntegers('concurrency', values.concurrency!),
      ordersPerClient: ordersPerClient!,
      runsPerLevel: runsPerLevel!,
      timeoutMs: Number(values.timeout) * 1000,
      ...(values.assembly ? { assemblyDir: values.assembly } : {}),
      coldStartFraction,
      command,
      onProgress: (line) => process.stderr.write(`[bench] ${line}\n`),
    });
    const out = values.out ?? path.join('.local', 'reports', `bench-${report.at.replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    if (context.json) context.out(JSON.stringify(report, null, 2));
    else context.out(`${renderMarkdown(report)}\n\nJSON report: ${out}`);
    // A benchmark reports; it fails only when the run itself did not work (an order that never ended, a bundle that did not load).
    const broken = report.throughput.levels.some((level) => level.completed < level.orders) || report.coldStarts.some((entry) => entry.failures === entry.runs);
    return broken ? 1 : 0;
  },
};
