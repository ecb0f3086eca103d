/**
 * Cold starts, measured the same way for every function and for the floor
 * (bench/floor-handler.ts): a fresh `node` process loads the bundle and runs
 * one invocation against the local cloud (bench/cold-start-runner.cjs), many
 * times; the figures are medians. The events are side-effect free, so the
 * benchmark can run on a cloud that other tests share (see `benchEvent`).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Target } from '../targets';
import { bundleSize, type BenchFunction, type BundleSize } from './functions';
import { median, ratio } from './stats';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const runner = path.join(repoRoot, 'bench', 'cold-start-runner.cjs');
export const floorName = 'floor (1 SDK client)';

/** The event a function's first invocation gets, and what it exercises. */
export interface BenchEvent {
  kind: string;
  event: unknown;
}

const httpEvent = (method: string, rawPath: string) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath,
  rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: { http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'duckstore-bench' }, requestId: 'bench', stage: '$default' },
  isBase64Encoded: false,
});
const scheduledEvent = { version: '0', id: 'bench', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: new Date(0).toISOString(), region: 'us-east-1', resources: [], detail: {} };

/**
 * Representative where a real request has no side effect (a GET of an unknown
 * order or authorization: one DynamoDB GetItem, a 404; the sweep's and the
 * auditor's scheduled runs, which only read unless an order is overdue); a
 * no-op event elsewhere (an empty SQS or stream batch): a real message would
 * reserve stock, charge or notify for an order that does not exist.
 */
export function benchEvent(name: string): BenchEvent {
  if (/Api/.test(name)) return { kind: 'GET /orders/{unknown}: 1 GetItem, 404', event: httpEvent('GET', '/orders/00000000-0000-4000-8000-00000000be4c') };
  // Without the merchant secret (the bench does not read it): refused with a 401 before any read.
  if (/ProviderSimulator/.test(name)) return { kind: 'GET /v1/authorizations/{unknown} without the credential: 401, no read', event: httpEvent('GET', '/v1/authorizations/bench-unknown') };
  if (/Sweeper/.test(name)) return { kind: 'scheduled sweep: 1 Query', event: scheduledEvent };
  if (/Auditor/.test(name)) return { kind: 'scheduled audit: Scans every table', event: scheduledEvent };
  if (/Relay/.test(name)) return { kind: 'empty stream batch (no-op)', event: { Records: [] } };
  return { kind: 'empty SQS batch (no-op)', event: { Records: [] } };
}

/** Bundles the floor handler exactly like DuckStoreFunction bundles a function (lib/constructs/duckstore-function.ts). */
export async function buildFloorBundle(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'floor', 'index.js');
  await build({
    entryPoints: [path.join(repoRoot, 'bench', 'floor-handler.ts')],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  return outfile;
}

/**
 * Copies a bundle into a CommonJS folder outside the repository (whose
 * package.json says "type": "module", under which Node would load the CJS
 * bundle as ESM), like the Lambda runtime's /var/task.
 */
function stage(bundleFile: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
  const staged = path.join(dir, 'index.js');
  fs.copyFileSync(bundleFile, staged);
  return staged;
}

interface RunResult {
  ok: boolean;
  status?: number;
  error?: string;
  started: number;
  loadMs: number;
  initMs: number;
  firstInvocationMs: number;
  totalMs: number;
}

function runOnce(bundle: string, eventFile: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, bundle, eventFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as RunResult);
      } catch {
        reject(new Error(`cold-start run of ${bundle} exited ${code} without a result: ${(err || out).slice(-500)}`));
      }
    });
  });
}

export interface ColdStart extends BundleSize {
  name: string;
  region: string;
  memoryMb: number;
  event: string;
  runs: number;
  failures: number;
  firstError?: string;
  /** HTTP status of the first invocation, for HTTP functions (404 expected). */
  status?: number;
  /** Median ms from process start to the bundle loaded (what Lambda's INIT adds to the runtime's own start). */
  initMs: number;
  /** Median ms spent in require() of the bundle alone. */
  loadMs: number;
  /** Median ms of the first invocation. */
  firstInvocationMs: number;
  /** Median ms from process start to the first invocation completed. */
  totalMs: number;
  initRatio?: number;
  totalRatio?: number;
}

export interface ColdStartOptions {
  target: Target;
  runs: number;
  /** Measure only these (by short name); the floor is always measured. */
  only?: (fn: BenchFunction) => boolean;
  onProgress?: (line: string) => void;
}

/** The environment the Lambda runtime and ministack would give the function, pointed at the target. */
function lambdaEnvironment(target: Target, region: string, functionName: string, memoryMb: number, variables: Record<string, string>): NodeJS.ProcessEnv {
  const aws = target.aws(region);
  return {
    PATH: process.env.PATH,
    ...variables,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // As on Lambda with active tracing: Powertools Tracer is on (it checks AWS_EXECUTION_ENV) under the
    // invocation's trace header; its UDP segments go to a port nobody reads, which costs what the daemon does.
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    _X_AMZN_TRACE_ID: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=1`,
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    ...(aws.endpoint ? { AWS_ENDPOINT_URL: aws.endpoint } : {}),
    ...(aws.credentials ? { AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey } : {}),
  };
}

/** Cold starts of every function and of the floor, interleaved run by run so that load on the machine hits them alike. */
export async function measureColdStarts(functions: readonly BenchFunction[], options: ColdStartOptions): Promise<ColdStart[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'duckstore-bench-'));
  try {
    const floorRegion = functions[0]?.region ?? 'us-east-1';
    const floorFile = await buildFloorBundle(work);
    const subjects = [
      { name: floorName, region: floorRegion, memoryMb: 256, bundleFile: floorFile, env: lambdaEnvironment(options.target, floorRegion, 'bench-floor', 256, {}), event: { kind: 'ListTables (1 request)', event: {} } },
      ...functions
        .filter((fn) => options.only?.(fn) ?? true)
        .map((fn) => ({
          name: fn.name,
          region: fn.region,
          memoryMb: fn.memoryMb,
          bundleFile: fn.bundleFile,
          env: lambdaEnvironment(options.target, fn.region, fn.functionName, fn.memoryMb, fn.environment),
          event: benchEvent(fn.name),
        })),
    ].map((subject, index) => {
      const dir = path.join(work, `fn-${index}`);
      const eventFile = path.join(dir, 'event.json');
      const staged = stage(subject.bundleFile, dir);
      fs.writeFileSync(eventFile, JSON.stringify(subject.event.event));
      return { ...subject, staged, eventFile, results: [] as RunResult[] };
    });
    for (let run = 0; run < options.runs; run++) {
      for (const subject of subjects) subject.results.push(await runOnce(subject.staged, subject.eventFile, subject.env));
      options.onProgress?.(`cold starts: run ${run + 1}/${options.runs} of ${subjects.length} bundles`);
    }
    const measured = subjects.map((subject): ColdStart => {
      const ok = subject.results.filter((result) => result.ok);
      const failed = subject.results.find((result) => !result.ok);
      return {
        name: subject.name,
        region: subject.region,
        memoryMb: subject.memoryMb,
        event: subject.event.kind,
        ...bundleSize(subject.bundleFile),
        runs: subject.results.length,
        failures: subject.results.length - ok.length,
        ...(failed?.error ? { firstError: failed.error } : {}),
        ...(ok[0]?.status !== undefined ? { status: ok[0].status } : {}),
        // A failed first invocation still loaded the bundle: its INIT counts, its invocation time does not.
        initMs: median(subject.results.map((result) => result.initMs)) ?? NaN,
        loadMs: median(subject.results.map((result) => result.loadMs)) ?? NaN,
        firstInvocationMs: median(ok.map((result) => result.firstInvocationMs)) ?? NaN,
        totalMs: median(ok.map((result) => result.totalMs)) ?? NaN,
      };
    });
    const floor = measured[0]!;
    return measured.map((entry) => ({ ...entry, initRatio: ratio(entry.initMs, floor.initMs), totalRatio: ratio(entry.totalMs, floor.totalMs) }));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
