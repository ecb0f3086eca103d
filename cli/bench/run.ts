/**
 * `duckstore bench` end to end: bundles and cold starts, throughput up to
 * saturation, AWS requests per completed order against the design's minimum,
 * and dollars per million orders. Everything in one report, measured in one
 * run, so that ratios compare like with like on a noisy machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import { regionOf, type Topology } from '../../lib/topology';
import { cloudPaths, portOf, readRange } from '../../local/paths';
import { OrdersApiClient } from '../api-client';
import { runLevel } from '../commands/load';
import { ordersApiUrl, discoverDeployment } from '../deployment';
import type { Target } from '../targets';
import { measureColdStarts, type ColdStart } from './cold-start';
import { costLevers, costPerMillionOrders, loadPrices, type CostBreakdown, type Lever } from './cost-model';
import { benchFunctions } from './functions';
import { readInvocations } from './invocations';
import { minimumInvocations, minimumRequests, queueMessagesPerOrder, totalRequests, type RequestLine } from './minimum-requests';
import { ratio, round, saturationLevel } from './stats';
import { CountingApiClient, measureThroughput, saturationVerdict, type ThroughputLevel } from './throughput';
import { measuredUsage, serviceSideCounts, type MeasuredUsage } from './usage';

export interface BenchOptions {
  target: Target;
  topology: Topology;
  token: string | undefined;
  /** Cold starts per bundle. */
  coldStartRuns: number;
  levels: number[];
  ordersPerClient: number;
  runsPerLevel: number;
  timeoutMs: number;
  /** The cdk.out the deployment was made from. @default the local cloud's, .local/port-<port>/cdk.out */
  assemblyDir?: string;
  /** Share of invocations assumed to start cold on AWS, for INIT billing. */
  coldStartFraction: number;
  command: string;
  onProgress?: (line: string) => void;
}

/** Requests per completed order in one window, next to the design's minimum at the batching the window saw. */
export interface RequestAnalysis {
  /** Which levels the window covers. */
  window: string;
  ordersCompleted: number;
  measured: MeasuredUsage['requests'];
  minimumAtMeasuredBatching: RequestLine[];
  /** Billed requests per order, all callers but the client. */
  billedPerOrder: number;
  minimumBilledPerOrder: number;
  /** Requests the functions' SDK clients made per order. */
  functionPerOrder: number;
  minimumFunctionPerOrder: number;
  billedRatio: number | undefined;
  functionRatio: number | undefined;
  invocationsPerOrder: Record<string, number>;
  minimumInvocationsPerOrder: number;
  meanDurationMs: Record<string, number>;
  requestsByFunction: Record<string, Record<string, number>>;
  batching: { sqsBatch: number; streamBatch: number; eventsPerPutEvents: number; rowsPerDelete: number };
  usage: MeasuredUsage['usage'];
  cost: CostBreakdown;
}

export interface BenchReport {
  at: string;
  command: string;
  machine: { nproc: number; memoryGb: number; arch: string; node: string; loadAverage: number[] };
  goals: { coldStartRatio: number; bundleKb: number; requestsRatio: number; dollarsPerMillion: number };
  coldStarts: ColdStart[];
  throughput: { levels: ThroughputLevel[]; saturatedAt: number | undefined; verdict: string };
  requests: {
    /** False when the cloud was not started with DUCKSTORE_COUNT_REQUESTS=1: only the service-side counts are real then. */
    counted: boolean;
    /**
     * The first level (one client): about the rate of a million orders a month (0.4/s) in batching,
     * where a batch rarely holds more than one message. The default-settings figures.
     */
    lowRate: RequestAnalysis;
    /** Every level together: batches fill as the rate rises. */
    allLevels: RequestAnalysis;
    minimumAtFullBatching: RequestLine[];
  };
  cost: { pricesDate: string; coldStartFraction: number; levers: Lever[] };
}

const billedKinds = new Set(['SQS', 'EventBridge', 'DynamoDB']);

function localFiles(target: Target, region: string): { log?: string; pid?: number; assembly?: string } {
  const endpoint = target.aws(region).endpoint;
  if (!endpoint) return {};
  const files = cloudPaths(portOf(endpoint));
  let pid: number | undefined;
  try {
    pid = (JSON.parse(fs.readFileSync(files.pidFile, 'utf8')) as { pid: number }).pid;
  } catch {
    pid = undefined;
  }
  return { log: files.log, ...(pid ? { pid } : {}), assembly: files.cdkOut };
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const progress = options.onProgress ?? (() => {});
  const deployment = await discoverDeployment(options.target, options.topology);
  const primary = deployment.regions[0]!.region;
  const local = localFiles(options.target, primary);
  const assemblyDir = options.assemblyDir ?? local.assembly;
  if (!assemblyDir) throw new Error('--assembly DIR is needed: the cdk.out the deployment was made from');
  const functions = await benchFunctions(deployment, assemblyDir);
  progress(`${functions.length} functions, bundles from ${assemblyDir}`);

  const coldStarts = await measureColdStarts(functions, { target: options.target, runs: options.coldStartRuns, onProgress: progress });

  // Warm-up, outside the window: the first sagas would otherwise pay every Lambda worker's cold start in level 1.
  progress('warm-up: 4 orders, not counted');
  await runLevel(new OrdersApiClient(ordersApiUrl(deployment), options.token), 2, 4, options.timeoutMs);
  await new Promise((resolve) => setTimeout(resolve, 2000));

  // The window: each level records its own (throughput.ts); the log groups are read once for all of them.
  const windowStart = Date.now() - 1000;
  const api = new CountingApiClient(ordersApiUrl(deployment), options.token);
  const levels = await measureThroughput(api, deployment, {
    levels: options.levels,
    ordersPerClient: options.ordersPerClient,
    runsPerLevel: options.runsPerLevel,
    timeoutMs: options.timeoutMs,
    ministackPid: local.pid,
    ...(local.log ? { ministackLog: local.log } : {}),
    onProgress: progress,
  });
  const windowEnd = Date.now() + 1000;
  const saturatedAt = saturationLevel(levels);

  const invocations = await readInvocations(options.target, functions, windowStart, windowEnd);
  const crossRegion = regionOf(options.topology, 'payments') !== regionOf(options.topology, 'orders');
  const initMs = Object.fromEntries(coldStarts.map((entry) => [entry.name, entry.initMs]));
  const prices = loadPrices();
  const analyse = (window: string, chosen: readonly ThroughputLevel[]): { analysis: RequestAnalysis; measured: MeasuredUsage } => {
    const inWindow = (at: number | undefined) => at !== undefined && chosen.some((level) => at >= level.window.startMs && at <= level.window.endMs);
    const logText = local.log ? chosen.map((level) => readRange(local.log!, level.window.logStart, level.window.logEnd)).join('\n') : '';
    const measured = measuredUsage(
      {
        orders: chosen.reduce((sum, level) => sum + level.completed, 0),
        invocations: invocations.filter((invocation) => inWindow(invocation.at)),
        serviceSide: serviceSideCounts(logText),
        client: { posts: chosen.reduce((sum, level) => sum + level.client.posts, 0), gets: chosen.reduce((sum, level) => sum + level.client.gets, 0) },
      },
      { coldStartFraction: options.coldStartFraction, initMs, crossRegion },
    );
    const batching = { sqsBatch: measured.sqsBatch, streamBatch: measured.streamBatch, eventsPerPutEvents: measured.eventsPerPutEvents, rowsPerDelete: measured.rowsPerDelete };
    const minimum = minimumRequests({ crossRegion, sqsBatch: batching.sqsBatch, eventsPerPutEvents: batching.eventsPerPutEvents, rowsPerBatch: batching.rowsPerDelete });
    const billedPerOrder = measured.requests.filter((count) => count.caller !== 'client' && billedKinds.has(count.service)).reduce((sum, count) => sum + count.perOrder, 0);
    const functionPerOrder = measured.requests.filter((count) => count.caller === 'function').reduce((sum, count) => sum + count.perOrder, 0);
    const minimumBilledPerOrder = totalRequests(minimum, (line) => line.billed);
    const minimumFunctionPerOrder = totalRequests(minimum, (line) => line.caller === 'function');
    return {
      measured,
      analysis: {
        window,
        ordersCompleted: chosen.reduce((sum, level) => sum + level.completed, 0),
        measured: measured.requests,
        minimumAtMeasuredBatching: minimum,
        billedPerOrder,
        minimumBilledPerOrder,
        functionPerOrder,
        minimumFunctionPerOrder,
        billedRatio: counted ? ratio(billedPerOrder, minimumBilledPerOrder) : undefined,
        functionRatio: counted ? ratio(functionPerOrder, minimumFunctionPerOrder) : undefined,
        invocationsPerOrder: measured.invocationsPerOrder,
        minimumInvocationsPerOrder: minimumInvocations({ crossRegion, sqsBatch: batching.sqsBatch, rowsPerBatch: batching.streamBatch }),
        meanDurationMs: measured.meanDurationMs,
        requestsByFunction: measured.requestsByFunction,
        batching,
        usage: measured.usage,
        cost: costPerMillionOrders(measured.usage, prices),
      },
    };
  };
  const counted = invocations.some((invocation) => invocation.requests.length > 0);
  const lowRate = analyse(`concurrency ${levels[0]!.concurrency}`, levels.slice(0, 1));
  const allLevels = analyse(`concurrency ${levels.map((level) => level.concurrency).join(', ')}`, levels);
  const levers = costLevers(lowRate.measured.usage, prices, {
    messagesPerOrder: queueMessagesPerOrder(crossRegion),
    sqsBatch: lowRate.measured.sqsBatch,
    infoLogBytes: lowRate.measured.infoLogBytes,
    traceRoots: lowRate.measured.traceRootsPerOrder,
  });

  return {
    at: new Date().toISOString(),
    command: options.command,
    machine: { nproc: os.cpus().length, memoryGb: round(os.totalmem() / 1024 ** 3, 1), arch: os.arch(), node: process.version, loadAverage: os.loadavg().map((value) => round(value)) },
    goals: { coldStartRatio: 1.5, bundleKb: 800, requestsRatio: 1.25, dollarsPerMillion: 40 },
    coldStarts,
    throughput: { levels, saturatedAt, verdict: saturationVerdict(levels, saturatedAt) },
    requests: {
      counted,
      lowRate: lowRate.analysis,
      allLevels: allLevels.analysis,
      minimumAtFullBatching: minimumRequests({ crossRegion, sqsBatch: 10, eventsPerPutEvents: 10, rowsPerBatch: 25 }),
    },
    cost: { pricesDate: prices.date, coldStartFraction: options.coldStartFraction, levers },
  };
}
