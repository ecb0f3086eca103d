import { randomUUID } from 'node:crypto';
import { OrdersApiClient, type OrderView } from '../api-client';
import { table, type Command } from '../command';
import { discoverDeployment, ordersApiUrl } from '../deployment';
import { UsageError } from '../targets';
import { percentile } from '../stats';

export interface LoadLevel {
  concurrency: number;
  orders: number;
  completed: number;
  /** Completed sagas per second, from the first POST to the last terminal state. */
  throughput: number;
  sagaP50Ms: number | undefined;
  sagaP95Ms: number | undefined;
  sagaP99Ms: number | undefined;
  apiP50Ms: number | undefined;
}

const skus = ['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA'] as const;

/** Closed loop: `concurrency` clients, each placing an order and waiting for its saga to end before the next. Also used by `duckstore bench`. */
export async function runLevel(api: OrdersApiClient, concurrency: number, total: number, timeoutMs: number): Promise<LoadLevel> {
  const sagas: number[] = [];
  const apiTimes: number[] = [];
  let next = 0;
  let completed = 0;
  const started = performance.now();
  const client = async () => {
    while (next < total) {
      const index = next++;
      const postStart = performance.now();
      const { orderId } = await api.placeOrder({ customerId: `load-${index}`, items: [{ sku: skus[index % skus.length]!, quantity: 1 }] }, randomUUID());
      apiTimes.push(performance.now() - postStart);
      const order: OrderView = await api.waitForTerminal(orderId, { timeoutMs, intervalMs: 100 });
      if (order.status === 'PENDING') continue;
      completed++;
      sagas.push(Date.parse(order.history.at(-1)!.at) - Date.parse(order.createdAt));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    orders: total,
    completed,
    throughput: Number((completed / seconds).toFixed(2)),
    sagaP50Ms: percentile(sagas, 50),
    sagaP95Ms: percentile(sagas, 95),
    sagaP99Ms: percentile(sagas, 99),
    apiP50Ms: apiTimes.length ? Math.round(percentile(apiTimes, 50)!) : undefined,
  };
}

export const loadCommand: Command = {
  name: 'load',
  usage: 'load [--concurrency 1,4,16] [--orders-per-client 10] [--timeout SECONDS]',
  summary: 'measure saga throughput and latency at increasing concurrency (a benchmark: read the figures, do not assert them)',
  options: { concurrency: { type: 'string', default: '1,4,16' }, 'orders-per-client': { type: 'string', default: '10' }, timeout: { type: 'string', default: '120' } },
  async run(context) {
    const values = context.values as { concurrency: string; 'orders-per-client': string; timeout: string };
    const levels = values.concurrency.split(',').map(Number);
    if (levels.some((level) => !Number.isInteger(level) || level < 1)) throw new UsageError(`--concurrency ${values.concurrency}: expected positive integers, e.g. 1,4,16`);
    const perClient = Number(values['orders-per-client']);
    const deployment = await discoverDeployment(context.target, context.topology);
    const api = new OrdersApiClient(ordersApiUrl(deployment), context.token);
    const results: LoadLevel[] = [];
    for (const concurrency of levels) {
      results.push(await runLevel(api, concurrency, concurrency * perClient, Number(values.timeout) * 1000));
      if (!context.json) context.out(`concurrency ${concurrency}: ${results.at(-1)!.throughput} sagas/s`);
    }
    if (context.json) context.out(JSON.stringify({ target: context.target.name, at: new Date().toISOString(), levels: results }, null, 2));
    else {
      const ms = (value: number | undefined) => (value === undefined ? '-' : `${value}`);
      context.out(
        table([
          ['concurrency', 'orders', 'completed', 'sagas/s', 'saga p50 ms', 'saga p95 ms', 'POST p50 ms'],
          ...results.map((r) => [r.concurrency, r.orders, r.completed, r.throughput, ms(r.sagaP50Ms), ms(r.sagaP95Ms), ms(r.apiP50Ms)]),
        ]),
      );
    }
    return results.every((result) => result.completed === result.orders) ? 0 : 1;
  },
};
