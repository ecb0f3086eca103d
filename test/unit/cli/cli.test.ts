import { describe, expect, it } from 'vitest';
import { placeOrderRequestSchema } from '#contracts/api';
import { demoScenario } from '../../../cli/commands/demo';
import { main } from '../../../cli/main';
import { hops } from '../../../cli/saga-timeline';
import { percentile } from '../../../cli/stats';
import { resolveTarget, UsageError } from '../../../cli/targets';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (line) => out.push(line), (line) => err.push(line));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('duckstore CLI', () => {
  it('lists every command with its usage on --help and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    for (const word of ['orders place', 'orders get', 'status', 'demo']) expect(out).toContain(word);
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const { code, err } = await run('frobnicate');
    expect(code).toBe(2);
    expect(err).toContain('usage: duckstore');
  });

  it('rejects an unknown flag of a command with exit 2 and the command usage', async () => {
    const { code, err } = await run('orders', 'place', '--customer', 'c-1', '--item', 'DUCK-CLASSIC=1', '--bogus');
    expect(code).toBe(2);
    expect(err).toMatch(/Unknown option '--bogus'/);
    expect(err).toContain('usage: duckstore orders place');
  });

  it('explains a malformed --item before calling anything', async () => {
    const { code, err } = await run('orders', 'place', '--customer', 'c-1', '--item', 'DUCK-CLASSIC');
    expect(code).toBe(2);
    expect(err).toContain('expected SKU=QUANTITY');
  });

  it('names the target and how to start it when nothing answers', async () => {
    const previous = process.env.DUCKSTORE_ENDPOINT;
    process.env.DUCKSTORE_ENDPOINT = 'http://127.0.0.1:9'; // the discard port: nothing listens there
    try {
      const { code, err } = await run('status');
      expect(code).toBe(1);
      expect(err).toMatch(/cannot reach target "local" in us-(east-1|west-2)/);
      expect(err).toContain('npm start');
    } finally {
      if (previous === undefined) delete process.env.DUCKSTORE_ENDPOINT;
      else process.env.DUCKSTORE_ENDPOINT = previous;
    }
  });
});

describe('targets', () => {
  it('routes emulator API and function URL calls by path on the one endpoint', () => {
    const local = resolveTarget('local', { DUCKSTORE_ENDPOINT: 'http://127.0.0.1:4999' });
    expect(local.apiBaseUrl('abc123', 'https://abc123.execute-api.localhost')).toBe('http://127.0.0.1:4999/_aws/execute-api/abc123/$default');
    expect(local.functionUrl('https://xyz789.lambda-url.us-west-2.localhost/')).toBe('http://127.0.0.1:4999/_aws/lambda-url/xyz789');
    expect(local.aws('us-west-2')).toMatchObject({ region: 'us-west-2', endpoint: 'http://127.0.0.1:4999' });
  });

  it('uses the real URLs and the default credential chain on AWS', () => {
    const aws = resolveTarget('aws');
    expect(aws.apiBaseUrl('abc', 'https://abc.execute-api.us-east-1.amazonaws.com/')).toBe('https://abc.execute-api.us-east-1.amazonaws.com');
    expect(aws.aws('us-east-1')).toEqual({ region: 'us-east-1' });
  });

  it('refuses an unknown target naming the valid ones', () => {
    expect(() => resolveTarget('azure')).toThrow(UsageError);
    expect(() => resolveTarget('azure')).toThrow(/local, localstack, aws/);
  });
});

describe('demo scenario', () => {
  it('mixes normal orders with a retried POST, an out-of-stock order and a declined payment, all valid requests', () => {
    const scenario = demoScenario(4);
    expect(scenario.map((entry) => entry.label)).toEqual(['normal-1', 'normal-2', 'normal-3', 'normal-4', 'retried-post', 'out-of-stock', 'payment-declined']);
    for (const entry of scenario) expect(placeOrderRequestSchema.safeParse(entry.request).success).toBe(true);
    expect(scenario.find((entry) => entry.label === 'retried-post')!.retries).toBeGreaterThan(1);
  });
});

describe('latency figures', () => {
  it('takes the nearest-rank percentile', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile([], 50)).toBeUndefined();
  });

  it('measures each hop between consecutive saga steps', () => {
    const steps = [
      { context: 'orders' as const, region: 'us-east-1', status: 'PENDING', at: '2026-01-01T00:00:00.000Z' },
      { context: 'inventory' as const, region: 'us-east-1', status: 'HELD', at: '2026-01-01T00:00:00.250Z' },
      { context: 'payments' as const, region: 'us-west-2', status: 'AUTHORIZED', at: '2026-01-01T00:00:01.000Z' },
    ];
    expect(hops(steps)).toEqual([
      { hop: 'orders:PENDING→inventory:HELD', ms: 250 },
      { hop: 'inventory:HELD→payments:AUTHORIZED', ms: 750 },
    ]);
  });
});
