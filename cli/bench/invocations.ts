/**
 * What the functions did during a benchmark window, read back from their
 * CloudWatch log groups: one log stream per invocation on the local cloud
 * (ministack writes START / output / END / REPORT like Lambda does), with the
 * REPORT duration, the log volume, and the request counter's lines
 * (functions/shared/request-counter.ts, on when the cloud was started with
 * DUCKSTORE_COUNT_REQUESTS=1).
 */
import type { Target } from '../targets';
import type { BenchFunction } from './functions';

export interface CountedRequest {
  service: string;
  operation: string;
  attempts: number;
  items?: Record<string, number>;
  entries?: number;
  /** Size of the entries as JSON (PutEvents): what crosses regions when a forwarder publishes. */
  bytes?: number;
  error?: string;
}

export interface Invocation {
  /** Short function name, e.g. `OrdersApiFunction`. */
  name: string;
  region: string;
  memoryMb: number;
  durationMs: number;
  requests: CountedRequest[];
  /** Bytes CloudWatch Logs would ingest for it (message + 26 bytes per event), the counter's own lines excluded. */
  logBytes: number;
  /** Of which Powertools INFO lines: what POWERTOOLS_LOG_LEVEL=WARN would save. */
  infoLogBytes: number;
  /** When it was logged (ms since the epoch), to place it in a benchmark level's window. */
  at?: number;
}

/** CloudWatch Logs bills each event's message plus 26 bytes. */
export const logEventOverheadBytes = 26;

/** One invocation from its log lines; undefined when the lines hold no REPORT (an invocation still running). */
export function parseInvocation(fn: Pick<BenchFunction, 'name' | 'region' | 'memoryMb'>, messages: readonly string[]): Invocation | undefined {
  let durationMs: number | undefined;
  let logBytes = 0;
  let infoLogBytes = 0;
  const requests: CountedRequest[] = [];
  for (const message of messages) {
    const report = /^REPORT RequestId: \S+\s+Duration: ([\d.]+) ms/.exec(message);
    if (report) durationMs = Number(report[1]);
    if (message.startsWith('{"duckstoreRequest":')) {
      const { duckstoreRequest } = JSON.parse(message) as { duckstoreRequest: CountedRequest & { fn?: string } };
      const { fn: _fn, ...request } = duckstoreRequest;
      requests.push(request);
      continue;
    }
    const bytes = Buffer.byteLength(message) + logEventOverheadBytes;
    logBytes += bytes;
    if (message.startsWith('{"level":"INFO"')) infoLogBytes += bytes;
  }
  return durationMs === undefined ? undefined : { name: fn.name, region: fn.region, memoryMb: fn.memoryMb, durationMs, requests, logBytes, infoLogBytes };
}

interface LogEvent {
  logStreamName: string;
  timestamp: number;
  message: string;
}

/** ministack 1.5.33 answers FilterLogEvents with at most 10 000 events and no nextToken. */
const emulatorPageLimit = 10_000;

/**
 * FilterLogEvents over the emulator's JSON API (the CLI bundles no CloudWatch
 * Logs client; emulators do not check signatures). Pages with nextToken where
 * the emulator gives one, and otherwise by time: a full page is cut before its
 * last millisecond, which the next request starts from.
 */
async function filterLogEvents(endpoint: string, region: string, logGroupName: string, startTime: number, endTime: number): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  let from = startTime;
  let nextToken: string | undefined;
  for (;;) {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Logs_20140328.FilterLogEvents',
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/logs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ logGroupName, startTime: from, endTime, ...(nextToken ? { nextToken } : {}) }),
    });
    if (!response.ok) throw new Error(`FilterLogEvents ${logGroupName}: HTTP ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { events?: LogEvent[]; nextToken?: string };
    const pageEvents = page.events ?? [];
    nextToken = page.nextToken;
    if (nextToken) {
      events.push(...pageEvents);
      continue;
    }
    if (pageEvents.length < emulatorPageLimit) {
      events.push(...pageEvents);
      return events;
    }
    const last = pageEvents.at(-1)!.timestamp;
    if (last <= from) throw new Error(`FilterLogEvents ${logGroupName}: more than ${emulatorPageLimit} events in one millisecond`);
    events.push(...pageEvents.filter((event) => event.timestamp < last));
    from = last;
  }
}

/** Every completed invocation of `functions` between the two instants (ms since the epoch). */
export async function readInvocations(target: Target, functions: readonly BenchFunction[], startMs: number, endMs: number): Promise<Invocation[]> {
  const invocations: Invocation[] = [];
  for (const fn of functions) {
    const endpoint = target.aws(fn.region).endpoint;
    if (!endpoint) throw new Error(`reading invocations needs a local target (an emulator endpoint); ${target.name} has none`);
    const byStream = new Map<string, { at: number; lines: string[] }>();
    for (const event of await filterLogEvents(endpoint, fn.region, fn.logGroup, startMs, endMs)) {
      const stream = byStream.get(event.logStreamName) ?? { at: event.timestamp, lines: [] };
      stream.lines.push(event.message);
      byStream.set(event.logStreamName, stream);
    }
    for (const { at, lines } of byStream.values()) {
      const invocation = parseInvocation(fn, lines);
      if (invocation) invocations.push({ ...invocation, at });
    }
  }
  return invocations;
}

const readOperations = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/** Whether an invocation of the orders API only read (a GET by the load driver polling for the saga's end), which is the client's doing. */
export const isClientRead = (invocation: Invocation): boolean =>
  /Api/.test(invocation.name) && invocation.requests.every((request) => request.service === 'DynamoDB' && readOperations.has(request.operation));
