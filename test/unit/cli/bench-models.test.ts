import { describe, expect, it } from 'vitest';
import { dynamoItems } from '#shared/request-counter';
import { benchEvent } from '../../../cli/bench/cold-start';
import { capacityUnits, costLevers, costPerMillionOrders, loadPrices, type UsagePerOrder } from '../../../cli/bench/cost-model';
import { isClientRead, parseInvocation, type Invocation } from '../../../cli/bench/invocations';
import { minimumInvocations, minimumRequests, queueMessagesPerOrder, totalRequests } from '../../../cli/bench/minimum-requests';
import { median, ratio, saturationLevel } from '../../../cli/bench/stats';
import { saturationVerdict, type ThroughputLevel } from '../../../cli/bench/throughput';
import { measuredUsage, serviceSideCounts } from '../../../cli/bench/usage';
import { main } from '../../../cli/main';

describe('bench statistics', () => {
  it('takes the median of odd and even samples and nothing of an empty one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });

  it('gives ratios to the floor with two decimals, and none against a zero floor', () => {
    expect(ratio(75, 50)).toBe(1.5);
    expect(ratio(10, 3)).toBe(3.33);
    expect(ratio(10, 0)).toBeUndefined();
    expect(ratio(undefined, 5)).toBeUndefined();
  });

  it('puts saturation at the first level past the plateau, within 10 % of the best throughput', () => {
    const levels = [1, 2, 4, 8, 16].map((concurrency, index) => ({ concurrency, throughput: [4, 8, 14, 14.5, 15][index]! }));
    expect(saturationLevel(levels)).toBe(8);
    expect(saturationLevel(levels.slice(0, 3))).toBeUndefined();
    // A dip at 2 clients that later levels rise well above is noise, not saturation.
    const noisy = [3.21, 3.13, 4.42, 6.9, 6.71, 4.75].map((throughput, index) => ({ concurrency: 2 ** index, throughput }));
    expect(saturationLevel(noisy)).toBe(16);
  });

  it('names a ministack thread at its limit as what saturated first', () => {
    const level = (concurrency: number, thread: number, machine: number): ThroughputLevel => ({
      concurrency,
      orders: 10,
      completed: 10,
      throughput: 10,
      sagaP50Ms: 1,
      sagaP95Ms: 1,
      sagaP99Ms: 1,
      apiP50Ms: 1,
      runs: [],
      cpu: { machineBusy: machine, ministackCores: 1, ministackBusiestThread: thread, workerCores: 0.5 },
      maxQueueDepth: { InventoryConsumer: 40 },
      window: { startMs: 0, endMs: 1, logStart: 0, logEnd: 0 },
      client: { posts: 10, gets: 30 },
    });
    expect(saturationVerdict([level(4, 0.5, 0.5), level(8, 0.97, 0.7)], 8)).toMatch(
      /reached 10 sagas\/s at concurrency 4 and stopped rising at concurrency 8: one ministack thread is saturated.*InventoryConsumer \(40 messages\)/,
    );
    expect(saturationVerdict([level(4, 0.5, 0.5), level(8, 0.4, 0.95)], 8)).toMatch(/machine's CPU is saturated/);
    expect(saturationVerdict([level(4, 0.4, 0.5)], undefined)).toMatch(/still rising at concurrency 4: no resource at its limit/);
  });
});

describe('minimum AWS requests per completed order', () => {
  it('needs 7 queue messages across two regions and 5 in one', () => {
    expect(queueMessagesPerOrder(true)).toBe(7);
    expect(queueMessagesPerOrder(false)).toBe(5);
  });

  it('adds up, unbatched and across two regions, to 27 function requests and 52 in all', () => {
    const lines = minimumRequests({ crossRegion: true });
    // 4 transactions + 6 puts + 5 updates + 4 outbox deletes + 6 PutEvents + 2 schedule calls
    expect(totalRequests(lines, (line) => line.caller === 'function')).toBe(27);
    // + 7 SendMessage, 7 ReceiveMessage, 7 DeleteMessageBatch, 4 stream reads
    expect(totalRequests(lines)).toBe(52);
    // Stream reads and Scheduler API calls are free.
    expect(totalRequests(lines, (line) => line.billed)).toBe(52 - 4 - 2);
  });

  it('shares batched calls across the orders of a batch', () => {
    const full = minimumRequests({ crossRegion: true, sqsBatch: 10, eventsPerPutEvents: 10, rowsPerBatch: 25 });
    const perOrder = (operation: string) => full.find((line) => line.operation === operation)!.perOrder;
    expect(perOrder('PutEvents')).toBeCloseTo(0.6);
    expect(perOrder('ReceiveMessage')).toBeCloseTo(0.7);
    expect(perOrder('DeleteMessageBatch')).toBeCloseTo(0.7);
    expect(perOrder('BatchWriteItem')).toBeCloseTo(0.16);
    expect(perOrder('SendMessage')).toBe(7);
    expect(minimumInvocations({ crossRegion: true, sqsBatch: 10, rowsPerBatch: 25 })).toBeCloseTo(1 + 0.16 + 0.7);
  });

  it('clamps batch sizes to what the APIs allow', () => {
    const beyond = minimumRequests({ sqsBatch: 50, eventsPerPutEvents: 0, rowsPerBatch: 100 });
    expect(beyond.find((line) => line.operation === 'ReceiveMessage')!.perOrder).toBeCloseTo(0.7);
    expect(beyond.find((line) => line.operation === 'PutEvents')!.perOrder).toBe(6);
    expect(beyond.find((line) => line.operation === 'BatchWriteItem')!.perOrder).toBeCloseTo(0.16);
  });
});

describe('cost model', () => {
  const prices = loadPrices();
  const usage: UsagePerOrder = {
    lambdaInvocations: 10,
    lambdaGbSeconds: 0.1,
    initGbSeconds: 0.01,
    sqsRequests: 20,
    eventBridgeEvents: 6,
    dynamoWriteUnits: 30,
    dynamoReadUnits: 4,
    apiRequests: 1,
    traces: 10,
    logBytes: 1024 ** 3 / 1e6,
    interRegionBytes: 0,
  };

  it('prices each line from the dated table and sums them', () => {
    const { lines, totalPerMillionOrders } = costPerMillionOrders(usage, prices);
    const dollars = (item: string) => lines.find((line) => line.item.startsWith(item))!.dollarsPerMillionOrders;
    expect(dollars('Lambda requests')).toBeCloseTo(10 * 0.2);
    expect(dollars('Lambda duration')).toBeCloseTo(0.1 * 0.0000133334 * 1e6);
    expect(dollars('Lambda INIT')).toBeCloseTo(0.01 * 0.0000133334 * 1e6);
    expect(dollars('SQS')).toBeCloseTo(8);
    expect(dollars('EventBridge')).toBeCloseTo(6);
    expect(dollars('DynamoDB writes')).toBeCloseTo(30 * 0.625);
    expect(dollars('DynamoDB reads')).toBeCloseTo(0.5);
    expect(dollars('X-Ray')).toBeCloseTo(10 * 0.05 * 5);
    // 1 GB per million orders at $0.50 per GB
    expect(dollars('CloudWatch Logs')).toBeCloseTo(0.5);
    expect(totalPerMillionOrders).toBeCloseTo(lines.reduce((sum, line) => sum + line.dollarsPerMillionOrders, 0));
    expect(prices.date).toMatch(/^2026-11-\d\d$/);
  });

  it('shows what sampling, memory, architecture, batches, log level and trace propagation change', () => {
    const levers = Object.fromEntries(
      costLevers(usage, prices, { messagesPerOrder: 7, sqsBatch: 1, infoLogBytes: usage.logBytes / 2, traceRoots: 2 }).map((lever) => [lever.lever, lever.totalPerMillionOrders]),
    );
    const base = levers['as measured (default settings)']!;
    expect(levers['X-Ray sampling 0 %']).toBeCloseTo(base - 2.5);
    expect(levers['X-Ray sampling 100 %']).toBeCloseTo(base - 2.5 + 50);
    expect(levers['memory 512 MB (same duration)']!).toBeGreaterThan(base);
    expect(levers['x86_64 instead of arm64']!).toBeGreaterThan(base);
    // 14 receive+delete requests become 1.4, and 7 invocations become 0.7
    expect(levers['full SQS batches (10 per receive and per invocation)']).toBeCloseTo(base - 12.6 * 0.4 - 6.3 * 0.2);
    expect(levers['log level WARN (no INFO lines)']).toBeCloseTo(base - 0.25);
    expect(levers['one trace per hop chain (trace headers propagated)']).toBeCloseTo(base - 8 * 0.05 * 5);
    expect(levers['all three: full batches, log level WARN, traces propagated']).toBeCloseTo(base - 12.6 * 0.4 - 6.3 * 0.2 - 0.25 - 8 * 0.05 * 5);
  });

  it('counts DynamoDB capacity units per request kind and attempt', () => {
    expect(capacityUnits({ operation: 'TransactWriteItems', attempts: 1, items: { Put: 2, Update: 1 } })).toEqual({ write: 6, read: 0 });
    expect(capacityUnits({ operation: 'BatchWriteItem', attempts: 2, items: { BatchDelete: 3 } })).toEqual({ write: 6, read: 0 });
    expect(capacityUnits({ operation: 'UpdateItem', attempts: 1 })).toEqual({ write: 1, read: 0 });
    expect(capacityUnits({ operation: 'GetItem', attempts: 1 })).toEqual({ write: 0, read: 1 });
  });
});

describe('request counting', () => {
  it('counts DynamoDB items by kind in transactions and batches', () => {
    expect(dynamoItems('TransactWriteItems', { TransactItems: [{ Put: {} }, { Put: {} }, { Update: {} }] })).toEqual({ Put: 2, Update: 1 });
    expect(dynamoItems('BatchWriteItem', { RequestItems: { t: [{ DeleteRequest: {} }, { DeleteRequest: {} }, { PutRequest: {} }] } })).toEqual({ BatchDelete: 2, BatchPut: 1 });
    expect(dynamoItems('BatchGetItem', { RequestItems: { t: { Keys: [{}, {}] } } })).toEqual({ BatchGet: 2 });
    expect(dynamoItems('GetItem', {})).toEqual({});
  });

  const fn = { name: 'InventoryConsumerFunction', region: 'us-east-1', memoryMb: 256 };

  it('reads one invocation from its log lines: duration, counted requests, and log bytes without the counter lines', () => {
    const lines = [
      'START RequestId: r1 Version: $LATEST',
      '{"duckstoreRequest":{"service":"DynamoDB","operation":"PutItem","attempts":1,"fn":"x"}}',
      '{"level":"INFO","message":"event handled"}',
      'END RequestId: r1',
      'REPORT RequestId: r1\tDuration: 42 ms\tBilled Duration: 42 ms\tMemory Size: 256 MB\tMax Memory Used: 0 MB',
    ];
    const invocation = parseInvocation(fn, lines)!;
    expect(invocation.durationMs).toBe(42);
    expect(invocation.requests).toEqual([{ service: 'DynamoDB', operation: 'PutItem', attempts: 1 }]);
    const counted = [lines[0]!, lines[2]!, lines[3]!, lines[4]!];
    expect(invocation.logBytes).toBe(counted.reduce((sum, line) => sum + Buffer.byteLength(line) + 26, 0));
    expect(invocation.infoLogBytes).toBe(Buffer.byteLength(lines[2]!) + 26);
    expect(parseInvocation(fn, lines.slice(0, 3))).toBeUndefined();
  });

  it("takes an API invocation that only read for the load driver's poll", () => {
    const api = (operation: string): Invocation => ({ name: 'OrdersApiFunction', region: 'us-east-1', memoryMb: 256, durationMs: 5, logBytes: 0, infoLogBytes: 0, requests: [{ service: 'DynamoDB', operation, attempts: 1 }] });
    expect(isClientRead(api('GetItem'))).toBe(true);
    expect(isClientRead(api('Query'))).toBe(true);
    expect(isClientRead(api('TransactWriteItems'))).toBe(false);
  });

  it("counts the emulator's deliveries and event source mapping batches from its log", () => {
    const log = [
      '2026-11-25 20:01:57 INFO [events] EventBridge → SQS DuckStore-primary-InventoryConsumerQueue',
      '2026-11-25 20:01:57 INFO [events] EventBridge → SQS DuckStore-primary-OrdersDeadlinesArmingQueue',
      '2026-11-25 20:01:57 INFO [lambda] ESM: Lambda DuckStore-primary-Inv processed 2 SQS messages from DuckStore-primary-InventoryConsumerQueue',
      '2026-11-25 20:01:57 INFO [lambda] ESM: Lambda DuckStore-primary-Relay processed 3 DynamoDB stream records from DuckStore-primary-OrdersTable',
      '{"level":"INFO","message":"ESM lookalike in a function log is not a batch"}',
    ].join('\n');
    expect(serviceSideCounts(log)).toEqual({ sqsDeliveries: 2, sqsBatches: 1, sqsMessages: 2, streamBatches: 1, streamRecords: 3 });
  });

  it('turns a window into per-order usage, leaving out client reads, the provider simulator and scheduled jobs', () => {
    const invocation = (name: string, requests: Invocation['requests'], durationMs = 100): Invocation => ({ name, region: 'us-east-1', memoryMb: 512, durationMs, logBytes: 1000, infoLogBytes: 400, requests });
    const measured = measuredUsage(
      {
        orders: 2,
        invocations: [
          invocation('OrdersApiFunction', [{ service: 'DynamoDB', operation: 'TransactWriteItems', attempts: 1, items: { Put: 3 } }]),
          invocation('OrdersApiFunction', [{ service: 'DynamoDB', operation: 'GetItem', attempts: 1 }]),
          invocation('OrdersRelayFunction', [
            { service: 'EventBridge', operation: 'PutEvents', attempts: 1, entries: 2 },
            { service: 'DynamoDB', operation: 'BatchWriteItem', attempts: 1, items: { BatchDelete: 2 } },
          ]),
          invocation('ForwardTouswest2ForwardingFunction', [{ service: 'EventBridge', operation: 'PutEvents', attempts: 2, entries: 1, bytes: 700 }]),
          invocation('PaymentProviderSimulatorFunction', [{ service: 'DynamoDB', operation: 'PutItem', attempts: 1 }]),
          invocation('OrdersDeadlinesSweeper', [{ service: 'DynamoDB', operation: 'Query', attempts: 1 }]),
        ],
        serviceSide: { sqsDeliveries: 4, sqsBatches: 2, sqsMessages: 4, streamBatches: 1, streamRecords: 2 },
        client: { posts: 2, gets: 6 },
      },
      { coldStartFraction: 0.1, initMs: { OrdersApiFunction: 100 } },
    );
    const perOrder = (caller: string, operation: string) => measured.requests.find((count) => count.caller === caller && count.operation === operation)?.perOrder;
    expect(perOrder('function', 'TransactWriteItems')).toBe(0.5);
    expect(perOrder('function', 'GetItem')).toBeUndefined();
    expect(perOrder('function', 'PutItem')).toBeUndefined();
    expect(perOrder('function', 'PutEvents')).toBe(1.5);
    expect(perOrder('eventbridge', 'SendMessage')).toBe(2);
    expect(perOrder('client', 'GET /orders/{id}')).toBe(3);
    expect(measured.usage.lambdaInvocations).toBe(1.5);
    expect(measured.usage.eventBridgeEvents).toBe(2);
    expect(measured.usage.dynamoWriteUnits).toBe(4);
    expect(measured.usage.sqsRequests).toBe(4);
    expect(measured.usage.lambdaGbSeconds).toBeCloseTo((3 * 0.1 * 0.5) / 2);
    expect(measured.usage.initGbSeconds).toBeCloseTo((3 * 0.1 * 0.1 * 0.5) / 2);
    expect(measured.usage.interRegionBytes).toBe(700);
    expect(measured.eventsPerPutEvents).toBe(2);
    expect(measured.rowsPerDelete).toBe(2);
    expect(measured.sqsBatch).toBe(2);
    expect(measured.infoLogBytes).toBe((3 * 400) / 2);
    expect(measured.traceRootsPerOrder).toBe(1);
    expect(measured.requestsByFunction.OrdersRelayFunction).toEqual({ PutEvents: 0.5, BatchWriteItem: 0.5 });
  });
});

describe('bench events and command', () => {
  it('gives every kind of function a side-effect-free first invocation', () => {
    expect(benchEvent('OrdersApiFunction').kind).toMatch(/GetItem, 404/);
    expect(benchEvent('InventoryConsumerFunction').event).toEqual({ Records: [] });
    expect(benchEvent('OrdersRelayFunction').event).toEqual({ Records: [] });
    expect(benchEvent('OrdersDeadlinesSweeper').kind).toMatch(/sweep/);
  });

  it('is listed in the CLI usage and rejects a bad concurrency with exit 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await main(['--help'], (line) => out.push(line))).toBe(0);
    expect(out.join('\n')).toContain('bench [--cold-start-runs 15]');
    expect(await main(['bench', '--concurrency', '1,x'], () => {}, (line) => err.push(line))).toBe(2);
    expect(err.join('\n')).toContain('--concurrency 1,x');
  });
});
