/**
 * The local stand-in for the X-Ray daemon: the local cloud has no X-Ray, so the
 * functions (Powertools Tracer, the X-Ray SDK) send their segments here, over
 * the daemon's UDP protocol, and this stores them as JSON lines for
 * `duckstore trace` and `duckstore service-map --target local`.
 *
 * Protocol: one datagram per document, `{"format":"json","version":1}\n<segment JSON>`;
 * a document is a segment or a streamed subsegment (`"type":"subsegment"`).
 *
 * It listens on 127.0.0.1:<cloud port>/udp (UDP and TCP ports are separate, so
 * each cloud's collector has a known address) and exits when the ministack
 * process it serves is gone, so no second stop path is needed.
 *
 *   tsx local/xray-collector.ts --port 4566 --file .local/xray-segments.jsonl --watch-pid 1234 [--append]
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { isAlive } from './process-alive';
import { cloudPaths } from './paths';

const daemonHeader = /^\{\s*"format"\s*:\s*"json"\s*,\s*"version"\s*:\s*1\s*\}$/;

/** The segment document of a daemon datagram, or undefined if it is not one. */
export function parseDatagram(datagram: string): Record<string, unknown> | undefined {
  const newline = datagram.indexOf('\n');
  if (newline < 0 || !daemonHeader.test(datagram.slice(0, newline).trim())) return undefined;
  try {
    const document = JSON.parse(datagram.slice(newline + 1)) as unknown;
    if (typeof document !== 'object' || document === null || Array.isArray(document)) return undefined;
    const { trace_id: traceId, id } = document as { trace_id?: unknown; id?: unknown };
    return typeof traceId === 'string' && typeof id === 'string' ? (document as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Where the collector of the cloud on `port` stores its segments. */
export const segmentsFile = (port: number): string => path.join(cloudPaths(port).dir, 'xray-segments.jsonl');

export interface XrayCollector {
  address: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:port/udp and appends every segment document to `file`, one JSON line each. */
export async function startXrayCollector(options: { port: number; file: string; append?: boolean }): Promise<XrayCollector> {
  fs.mkdirSync(path.dirname(options.file), { recursive: true });
  const out = fs.openSync(options.file, options.append ? 'a' : 'w');
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message) => {
    const document = parseDatagram(message.toString('utf8'));
    if (document) fs.writeSync(out, `${JSON.stringify(document)}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    address: `127.0.0.1:${options.port}`,
    close: () =>
      new Promise<void>((resolve) =>
        socket.close(() => {
          fs.closeSync(out);
          resolve();
        }),
      ),
  };
}

/**
 * Starts the collector of the cloud on `port` as its own process, which lives
 * as long as the ministack `ministackPid` (also when that ministack is
 * detached by `local:up` and outlives the caller).
 */
export function spawnXrayCollector(options: { port: number; ministackPid: number; append: boolean }): void {
  const script = fileURLToPath(import.meta.url);
  const { dir } = cloudPaths(options.port);
  const log = fs.openSync(path.join(dir, 'xray-collector.log'), 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--port', String(options.port), '--file', segmentsFile(options.port), '--watch-pid', String(options.ministackPid), ...(options.append ? ['--append'] : [])],
    { cwd: dir, detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  child.unref();
}

async function runAsProcess(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, file: { type: 'string' }, 'watch-pid': { type: 'string' }, append: { type: 'boolean', default: false } } });
  const port = Number(values.port);
  const watchPid = Number(values['watch-pid']);
  if (!port || !values.file || !watchPid) throw new Error('usage: xray-collector --port N --file F --watch-pid PID [--append]');
  // A collector of the previous ministack on this port may still hold the socket for up to a poll interval.
  let collector: XrayCollector | undefined;
  for (let attempt = 0; !collector; attempt++) {
    try {
      collector = await startXrayCollector({ port, file: values.file, append: values.append || attempt > 0 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  process.stderr.write(`[xray-collector] listening on ${collector.address}/udp, writing ${values.file}, until pid ${watchPid} exits\n`);
  const timer = setInterval(() => {
    if (isAlive(watchPid)) return;
    clearInterval(timer);
    void collector.close().then(() => process.exit(0));
  }, 1000);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void collector.close().then(() => process.exit(0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runAsProcess().catch((error: unknown) => {
    process.stderr.write(`[xray-collector] ${(error as Error).message}\n`);
    process.exit(1);
  });
}
