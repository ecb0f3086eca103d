/**
 * The embedded local cloud: ministack (PyPI, MIT), pinned, in a private venv
 * under .local/, started on 127.0.0.1 with a minimal environment.
 *
 *   ensureMinistack()   creates .local/venv and installs ministack==MINISTACK_VERSION once (local/venv.ts)
 *   startLocalCloud()   spawns it, waits until healthy, returns { endpoint, port, stop() }
 *   isLocalCloudUp()    whether a ministack answers at an endpoint
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isAlive } from './process-alive';
import { cloudPaths, DEFAULT_LOCAL_PORT, localPaths, say, seconds } from './paths';
import { ensureVenvPackage, installedVenvPackageVersion, venvBin } from './venv';
import { spawnXrayCollector } from './xray-collector';

export const MINISTACK_VERSION = '1.5.33';
export const DEFAULT_PORT = DEFAULT_LOCAL_PORT;

export class LocalCloudError extends Error {
  override readonly name = 'LocalCloudError';
}

/** The ministack version installed in the venv, or undefined. */
export const installedMinistackVersion = (): string | undefined => installedVenvPackageVersion('ministack');

/**
 * Creates .local/venv and installs the pinned ministack into it, once
 * (local/venv.ts): when the venv already has that version it only says so.
 */
export const ensureMinistack = (): { version: string; installed: boolean; seconds: number } => ensureVenvPackage('ministack', MINISTACK_VERSION);

/** What a LocalStack-compatible health endpoint answers, as far as we use it. */
interface Health {
  services?: Record<string, unknown>;
  edition?: string;
  version?: string;
}

async function fetchHealth(url: string, timeoutMs: number): Promise<Health | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as Health;
    return body && typeof body === 'object' && body.services ? body : undefined;
  } catch {
    return undefined;
  }
}

export interface LocalCloudIdentity {
  kind: 'ministack' | 'localstack-compatible';
  version: string | undefined;
}

/** Which local cloud answers at `endpoint`: ministack (it alone serves /_ministack/health), another LocalStack-compatible one, or none. */
export async function identifyLocalCloud(endpoint: string, timeoutMs = 1000): Promise<LocalCloudIdentity | undefined> {
  const base = endpoint.replace(/\/+$/, '');
  const ministack = await fetchHealth(`${base}/_ministack/health`, timeoutMs);
  if (ministack) return { kind: 'ministack', version: ministack.version };
  const other = await fetchHealth(`${base}/_localstack/health`, timeoutMs);
  return other ? { kind: 'localstack-compatible', version: other.version } : undefined;
}

/** Whether a local cloud (ministack, or any LocalStack-compatible endpoint) answers its health check at `endpoint`. */
export async function isLocalCloudUp(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  return (await identifyLocalCloud(endpoint, timeoutMs)) !== undefined;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function logTail(logFile: string, lines = 40): string {
  try {
    return fs.readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface StartLocalCloudOptions {
  /** @default $DUCKSTORE_LOCAL_PORT or 4566 */
  port?: number;
  /** Where PERSIST_STATE keeps state. @default .local/state */
  stateDir?: string;
  /** Keep state across restarts (PERSIST_STATE=1). @default false: every start is a clean cloud */
  persist?: boolean;
  /** How long an idle Lambda worker process is kept warm. @default 120 */
  lambdaWarmTtlSeconds?: number;
  /**
   * The `node` binary Lambda workers run on (ministack runs whichever `node` is first on its PATH,
   * whatever the function's runtime says). Point it at a Node 22 to match nodejs22.x.
   * @default $DUCKSTORE_LAMBDA_NODE, else the node running this script
   */
  lambdaNode?: string;
  /** How long to wait for the health check. @default 30000 */
  timeoutMs?: number;
  /**
   * Let ministack outlive this Node process (for `npm run local:up`); its pid
   * is recorded in .local/ministack.pid.json for `stopRecordedLocalCloud()`.
   * @default false
   */
  detached?: boolean;
}

export interface LocalCloud {
  endpoint: string;
  port: number;
  /** The ministack process (group leader), or undefined when an already running ministack was reused. */
  pid: number | undefined;
  /** Seconds from spawn to healthy. */
  startSeconds: number;
  /** Stops ministack and its Lambda worker processes (its process group). A no-op for a reused instance. */
  stop(): Promise<void>;
}

/**
 * A minimal environment: ministack's Lambda workers inherit it (ministack
 * 1.5.33 passes its whole environment to every function process), so the
 * caller's AWS_* credentials, NODE_OPTIONS and the like must not be in it.
 * The node that runs the workers is the one running this script.
 */
function ministackEnvironment(port: number, options: Required<Pick<StartLocalCloudOptions, 'persist' | 'stateDir' | 'lambdaWarmTtlSeconds' | 'lambdaNode'>>): NodeJS.ProcessEnv {
  const nodeDir = path.dirname(options.lambdaNode);
  const pathDirs = [nodeDir, path.join(localPaths.venv, 'bin'), '/usr/local/bin', '/usr/bin', '/bin'];
  return {
    PATH: [...new Set(pathDirs)].join(path.delimiter),
    HOME: localPaths.home,
    LANG: 'C.UTF-8',
    PYTHONUNBUFFERED: '1',
    BIND_HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    // With `cryptography` importable, an IoT mTLS listener opens on 0.0.0.0:8883 regardless of BIND_HOST.
    IOT_MTLS_ENABLED: '0',
    TMPDIR: cloudPaths(port).tmp,
    S3_DATA_DIR: cloudPaths(port).s3,
    LAMBDA_WARM_TTL_SECONDS: String(options.lambdaWarmTtlSeconds),
    // The functions target nodejs22.x; run on an older local node, the bundled SDK v3 prints a
    // Node-version deprecation warning at every cold start, which is noise in the log, not a finding.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // AWS sets this for every on-demand function; ministack 1.5.33 does not, and without it Powertools
    // takes every invocation for provisioned concurrency: cold_start is always false in logs and traces.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // Tracing (docs/observability.md): Powertools Tracer switches itself off outside Lambda, which it
    // recognises by AWS_EXECUTION_ENV; the segments go to this cloud's collector (local/xray-collector.ts,
    // UDP on the same port number), and the functions record the invocation segment the Lambda service
    // records on AWS (DUCKSTORE_XRAY_LAMBDA_SEGMENTS, functions/shared/powertools.ts).
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}`,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    DUCKSTORE_XRAY_LAMBDA_SEGMENTS: '1',
    ...(options.persist ? { PERSIST_STATE: '1', STATE_DIR: options.stateDir } : {}),
    // The one opt-in from the caller: `npm run bench` starts its cloud with every function's SDK requests counted (functions/shared/request-counter.ts).
    ...(process.env.DUCKSTORE_COUNT_REQUESTS === '1' ? { DUCKSTORE_COUNT_REQUESTS: '1' } : {}),
  };
}

interface PidRecord {
  pid: number;
  port: number;
  endpoint: string;
  startedAt: string;
}

/** SIGTERM to the process group, then SIGKILL after a grace period. */
async function killGroup(pid: number, graceMs = 5000): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive()) signalGroup('SIGKILL');
}

/**
 * ministack 1.5.33 gap (PERSIST_STATE only): it persists each DynamoDB stream
 * mapping's read position (lambda.json `dynamodb_stream_positions`) but not the
 * stream records, so after a restart every stream starts again at position 0
 * while its mapping resumes at the old position: the next N writes to each
 * table (N = records before the restart) are silently never delivered, and the
 * outbox relays publish nothing (orders stay PENDING). Forgetting the saved
 * positions makes the mappings start at the (empty) stream's horizon, so every
 * write after the restart is delivered. What was in a stream but not yet
 * relayed when ministack stopped is gone from the stream either way; its
 * outbox rows are still in the tables.
 */
export function forgetPersistedStreamPositions(stateDir: string): boolean {
  const file = path.join(stateDir, 'lambda.json');
  if (!fs.existsSync(file)) return false;
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { payload?: { dynamodb_stream_positions?: { data?: Record<string, unknown> } } };
  const positions = state.payload?.dynamodb_stream_positions?.data;
  if (!positions || Object.keys(positions).length === 0) return false;
  state.payload!.dynamodb_stream_positions!.data = {};
  fs.writeFileSync(file, JSON.stringify(state));
  return true;
}

/** Whether `pid` still runs ministack (a recorded pid may have been reused); true where /proc cannot tell. */
function isMinistackProcess(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ministack');
  } catch {
    return !fs.existsSync('/proc/self/cmdline');
  }
}

function readPidRecord(pidFile: string): PidRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(pidFile, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** Stops a ministack that `startLocalCloud({ detached: true })` left running (by its recorded pid, never by name). */
export async function stopRecordedLocalCloud(port: number = DEFAULT_LOCAL_PORT): Promise<boolean> {
  const { pidFile } = cloudPaths(port);
  const record = readPidRecord(pidFile);
  if (!record) return false;
  if (isAlive(record.pid)) {
    if (!isMinistackProcess(record.pid)) {
      say('ministack', `pid ${record.pid} from ${pidFile} is no longer ministack (stale record): not touching it`);
    } else {
      say('ministack', `stopping ministack pid ${record.pid} (${record.endpoint}) and its Lambda workers`);
      await killGroup(record.pid);
    }
  }
  fs.rmSync(pidFile, { force: true });
  return true;
}

/**
 * Starts ministack on 127.0.0.1:<port> and waits until it is healthy. If a
 * ministack already answers on that port it is reused (stop() then leaves it
 * alone); if anything else holds the port, it refuses.
 */
export async function startLocalCloud(options: StartLocalCloudOptions = {}): Promise<LocalCloud> {
  const port = options.port ?? Number(process.env.DUCKSTORE_LOCAL_PORT || DEFAULT_PORT);
  const endpoint = `http://127.0.0.1:${port}`;
  const persist = options.persist ?? false;
  const files = cloudPaths(port);
  const stateDir = options.stateDir ?? files.state;
  const lambdaWarmTtlSeconds = options.lambdaWarmTtlSeconds ?? 120;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const lambdaNode = options.lambdaNode ?? (process.env.DUCKSTORE_LAMBDA_NODE || process.execPath);
  if (path.basename(lambdaNode) !== 'node' || !fs.existsSync(lambdaNode)) {
    throw new LocalCloudError(`DUCKSTORE_LAMBDA_NODE / lambdaNode must be the path of a \`node\` binary (ministack runs \`node\` from PATH); got ${lambdaNode}`);
  }

  if (await portTaken(port)) {
    const running = await identifyLocalCloud(endpoint);
    if (running?.kind === 'ministack') {
      if (running.version !== MINISTACK_VERSION) say('ministack', `warning: the ministack at ${endpoint} is version ${running.version ?? 'unknown'}, not the pinned ${MINISTACK_VERSION}`);
      say('ministack', `a ministack already answers at ${endpoint}: reusing it (this process will not stop it; \`npm run local:down\` does)`);
      return { endpoint, port, pid: undefined, startSeconds: 0, stop: async () => {} };
    }
    throw new LocalCloudError(
      `port ${port} on 127.0.0.1 is taken by something that is not ministack (${running ? 'a LocalStack-compatible endpoint' : 'no /_ministack/health'}). ` +
        'Stop it, or pick another port with DUCKSTORE_LOCAL_PORT=<port>.',
    );
  }
  if (!fs.existsSync(venvBin('ministack'))) throw new LocalCloudError(`ministack is not installed in ${localPaths.venv}: call ensureMinistack() first`);

  for (const dir of [files.tmp, files.s3, localPaths.home, ...(persist ? [stateDir] : [])]) fs.mkdirSync(dir, { recursive: true });
  // ministack writes each Lambda's `_worker.js` and unzipped code under TMPDIR. Both are CommonJS, but
  // TMPDIR is inside this repo, whose package.json says "type": "module": without this marker Node
  // treats them as ES modules and every worker dies at once ("require is not defined in ES module scope").
  fs.writeFileSync(path.join(files.tmp, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  if (persist && forgetPersistedStreamPositions(stateDir)) say('fix-up', 'reset the persisted DynamoDB stream positions (ministack does not persist stream records)');
  const log = fs.openSync(files.log, 'w');
  const start = performance.now();
  const lambdaNodeVersion = lambdaNode === process.execPath ? process.version : spawnSync(lambdaNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
  say(
    'ministack',
    `starting ministack ${MINISTACK_VERSION} on ${endpoint}${persist ? ` (state persisted in ${stateDir})` : ' (in-memory state)'}, ` +
      `Lambda workers on node ${lambdaNodeVersion}; log: ${files.log}`,
  );
  const child = spawn(venvBin('ministack'), [], {
    cwd: files.dir,
    env: ministackEnvironment(port, { persist, stateDir, lambdaWarmTtlSeconds, lambdaNode }),
    // Its own process group, so stop() reaches the Lambda workers it spawns.
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new LocalCloudError(`could not spawn ${venvBin('ministack')}`);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  if (options.detached) child.unref();

  const stop = async (): Promise<void> => {
    await killGroup(pid);
    const record = readPidRecord(files.pidFile);
    if (record?.pid === pid) fs.rmSync(files.pidFile, { force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new LocalCloudError(`ministack exited during startup (${exited}). Last lines of ${files.log}:\n${logTail(files.log)}`);
    if ((await identifyLocalCloud(endpoint, 500))?.kind === 'ministack') break;
    if (Date.now() > deadline) {
      await stop();
      throw new LocalCloudError(`ministack did not become healthy at ${endpoint}/_ministack/health within ${timeoutMs / 1000} s. Last lines of ${files.log}:\n${logTail(files.log)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const startSeconds = (performance.now() - start) / 1000;
  say('ministack', `healthy at ${endpoint} after ${seconds(start)} (pid ${pid})`);
  spawnXrayCollector({ port, ministackPid: pid, append: persist });
  const record: PidRecord = { pid, port, endpoint, startedAt: new Date().toISOString() };
  fs.writeFileSync(files.pidFile, `${JSON.stringify(record, null, 2)}\n`);
  return { endpoint, port, pid, startSeconds, stop };
}
