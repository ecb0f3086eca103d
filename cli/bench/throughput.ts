/**
 * Saga throughput at increasing concurrency with `duckstore load`'s closed
 * loop (cli/commands/load.ts `runLevel`), and, while each level runs, what is
 * busy: the machine's CPU, the local cloud's processes (ministack, whose
 * single threads poll every queue and stream, and the Lambda worker processes
 * it spawned) from /proc, and how deep each consumer queue gets.
 */
import fs from 'node:fs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { OrdersApiClient, type ApiResponse } from '../api-client';
import { runLevel, type LoadLevel } from '../commands/load';
import type { Deployment } from '../deployment';
import { median, round } from './stats';

/** Counts the load driver's own HTTP requests: they are the client's, not the system's. */
export class CountingApiClient extends OrdersApiClient {
  posts = 0;
  gets = 0;

  override async request(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<ApiResponse<unknown>> {
    if (method === 'POST') this.posts++;
    else this.gets++;
    return super.request(method, path, init);
  }
}

const clockTicks = 100;
const settleMs = 2000;

interface ProcessTimes {
  /** CPU seconds per pid (user + system), for the processes of one process group. */
  byPid: Map<number, { seconds: number; command: string }>;
  /** CPU seconds per thread of the group leader. */
  leaderThreads: Map<number, number>;
  /** Busy and total jiffies of the whole machine. */
  machine: { busy: number; total: number };
}

function statSeconds(file: string): { seconds: number; pgrp: number } | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { seconds: (Number(fields[11]) + Number(fields[12])) / clockTicks, pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function readTimes(groupLeader: number | undefined): ProcessTimes {
  const byPid = new Map<number, { seconds: number; command: string }>();
  const leaderThreads = new Map<number, number>();
  if (groupLeader !== undefined && fs.existsSync('/proc')) {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = statSeconds(`/proc/${entry}/stat`);
      if (stat?.pgrp !== groupLeader) continue;
      let command = '';
      try {
        command = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      } catch {
        // gone meanwhile
      }
      byPid.set(Number(entry), { seconds: stat.seconds, command });
    }
    try {
      for (const tid of fs.readdirSync(`/proc/${groupLeader}/task`)) {
        const stat = statSeconds(`/proc/${groupLeader}/task/${tid}/stat`);
        if (stat) leaderThreads.set(Number(tid), stat.seconds);
      }
    } catch {
      // not on Linux, or the leader is gone
    }
  }
  let machine = { busy: 0, total: 0 };
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((sum, value) => sum + value, 0);
    machine = { busy: total - idle, total };
  } catch {
    // no /proc/stat
  }
  return { byPid, leaderThreads, machine };
}

export interface CpuUse {
  /** Share of all the machine's cores that were busy (0–1), whoever used them. */
  machineBusy: number;
  /** Cores used by the ministack process itself (the emulator: API, EventBridge, pollers). */
  ministackCores: number;
  /** Share of one core used by ministack's busiest thread (0–1): near 1, that thread is the bottleneck. */
  ministackBusiestThread: number;
  /** Cores used by the Lambda worker processes (node). */
  workerCores: number;
}

function cpuBetween(before: ProcessTimes, after: ProcessTimes, seconds: number, leader: number | undefined): CpuUse {
  const delta = (pid: number) => (after.byPid.get(pid)?.seconds ?? 0) - (before.byPid.get(pid)?.seconds ?? 0);
  let workers = 0;
  for (const [pid] of after.byPid) if (pid !== leader) workers += Math.max(0, delta(pid));
  let busiest = 0;
  for (const [tid, used] of after.leaderThreads) busiest = Math.max(busiest, used - (before.leaderThreads.get(tid) ?? 0));
  const machineTotal = after.machine.total - before.machine.total;
  return {
    machineBusy: machineTotal > 0 ? round((after.machine.busy - before.machine.busy) / machineTotal) : 0,
    ministackCores: leader === undefined ? 0 : round(delta(leader) / seconds),
    ministackBusiestThread: round(busiest / seconds),
    workerCores: round(workers / seconds),
  };
}

/** One concurrency level: its figures are the medians over `runs`. */
export interface ThroughputLevel extends LoadLevel {
  runs: LoadLevel[];
  cpu: CpuUse;
  /** Deepest backlog seen per consumer queue (visible + in flight) while the level ran. */
  maxQueueDepth: Record<string, number>;
  /** The level's window (ms since the epoch) and the matching byte range of ministack's log, for counting its requests alone. */
  window: { startMs: number; endMs: number; logStart: number; logEnd: number };
  /** The load driver's own HTTP requests during the level. */
  client: { posts: number; gets: number };
}

/** Samples every consumer and forwarding queue's depth until stopped. */
function watchQueues(deployment: Deployment, intervalMs: number): { stop(): Promise<Record<string, number>> } {
  const queues = deployment.regions.flatMap((region) =>
    region.resources
      .filter((resource) => resource.type === 'AWS::SQS::Queue' && !/DeadLetter/.test(resource.logicalId))
      .map((resource) => ({ name: resource.logicalId.replace(/[0-9A-F]{8}$/, '').replace(/Queue$/, ''), url: resource.physicalId, client: new SQSClient(deployment.target.aws(region.region)) })),
  );
  const max: Record<string, number> = {};
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        queues.map(async (queue) => {
          const { Attributes = {} } = await queue.client.send(
            new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
          );
          const depth = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
          max[queue.name] = Math.max(max[queue.name] ?? 0, depth);
        }),
      ).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return max;
    },
  };
}

export interface ThroughputOptions {
  levels: number[];
  ordersPerClient: number;
  runsPerLevel: number;
  timeoutMs: number;
  /** The ministack process (group leader of the local cloud), when known: its CPU and its workers' are measured. */
  ministackPid: number | undefined;
  /** ministack's log, when known: each level records its byte range. */
  ministackLog?: string;
  /** Stop going up once throughput gained less than this fraction over the best level so far. @default 0.1 */
  minGain?: number;
  onProgress?: (line: string) => void;
}

/**
 * Goes up the levels; stops after two levels in a row that did not raise
 * throughput by `minGain` over the best so far (one could be noise on a
 * shared machine; both are kept: they show the plateau).
 */
export async function measureThroughput(api: CountingApiClient, deployment: Deployment, options: ThroughputOptions): Promise<ThroughputLevel[]> {
  const results: ThroughputLevel[] = [];
  let best = 0;
  let flat = 0;
  for (const concurrency of options.levels) {
    const runs: LoadLevel[] = [];
    const logSize = () => (options.ministackLog && fs.existsSync(options.ministackLog) ? fs.statSync(options.ministackLog).size : 0);
    const windowStart = { startMs: Date.now(), logStart: logSize() };
    const clientBefore = { posts: api.posts, gets: api.gets };
    const watch = watchQueues(deployment, 1000);
    const before = readTimes(options.ministackPid);
    const started = performance.now();
    for (let run = 0; run < options.runsPerLevel; run++) runs.push(await runLevel(api, concurrency, concurrency * options.ordersPerClient, options.timeoutMs));
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuBetween(before, readTimes(options.ministackPid), seconds, options.ministackPid);
    const maxQueueDepth = await watch.stop();
    // The last sagas' notifications may still run after their orders turned CONFIRMED: let them land in this level's window.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const window = { ...windowStart, endMs: Date.now(), logEnd: logSize() };
    const med = (pick: (run: LoadLevel) => number | undefined) => median(runs.map(pick).filter((value): value is number => value !== undefined));
    const level: ThroughputLevel = {
      concurrency,
      orders: runs.reduce((sum, run) => sum + run.orders, 0),
      completed: runs.reduce((sum, run) => sum + run.completed, 0),
      throughput: med((run) => run.throughput) ?? 0,
      sagaP50Ms: med((run) => run.sagaP50Ms),
      sagaP95Ms: med((run) => run.sagaP95Ms),
      sagaP99Ms: med((run) => run.sagaP99Ms),
      apiP50Ms: med((run) => run.apiP50Ms),
      runs,
      cpu,
      maxQueueDepth,
      window,
      client: { posts: api.posts - clientBefore.posts, gets: api.gets - clientBefore.gets },
    };
    results.push(level);
    options.onProgress?.(
      `load: concurrency ${concurrency}: ${level.throughput} sagas/s (median of ${runs.length}), machine CPU ${Math.round(cpu.machineBusy * 100)} %, ` +
        `ministack busiest thread ${Math.round(cpu.ministackBusiestThread * 100)} % of a core`,
    );
    flat = best > 0 && level.throughput < best * (1 + (options.minGain ?? 0.1)) ? flat + 1 : 0;
    if (flat === 2) break;
    best = Math.max(best, level.throughput);
  }
  return results;
}

/** What saturated first, read from the level where throughput stopped rising (or the last one), with the evidence. */
export function saturationVerdict(levels: readonly ThroughputLevel[], saturatedAt: number | undefined): string {
  const level = levels.find((candidate) => candidate.concurrency === saturatedAt) ?? levels.at(-1);
  if (!level) return 'no level ran';
  const { cpu } = level;
  const deepest = Object.entries(level.maxQueueDepth).sort((a, b) => b[1] - a[1])[0];
  const queue = deepest && deepest[1] > level.concurrency ? `; deepest queue ${deepest[0]} (${deepest[1]} messages)` : '';
  const peak = levels[levels.indexOf(level) - 1];
  const where =
    saturatedAt === undefined || !peak
      ? `still rising at concurrency ${level.concurrency}`
      : `throughput reached ${peak.throughput} sagas/s at concurrency ${peak.concurrency} and stopped rising at concurrency ${level.concurrency}`;
  const evidence = `machine CPU ${Math.round(cpu.machineBusy * 100)} %, ministack ${cpu.ministackCores} cores (busiest thread ${Math.round(cpu.ministackBusiestThread * 100)} % of one core), Lambda workers ${cpu.workerCores} cores${queue}`;
  if (cpu.ministackBusiestThread >= 0.85) return `${where}: one ministack thread is saturated (${evidence})`;
  if (cpu.machineBusy >= 0.85) return `${where}: the machine's CPU is saturated (${evidence})`;
  return `${where}: no resource at its limit (${evidence}); the closed loop's own latency bounds it`;
}
