/**
 * From what a benchmark window recorded to what one completed order uses:
 * requests by caller, service and operation, Lambda invocations and GB-s,
 * DynamoDB capacity units, log bytes. Pure (the readers are in
 * invocations.ts and below, `serviceSideCounts` parses ministack's log).
 */
import { capacityUnits, type UsagePerOrder } from './cost-model';
import { isClientRead, type Invocation } from './invocations';

/** What the emulator did on the system's behalf, from its log: EventBridge deliveries to queues and event source mapping batches. */
export interface ServiceSideCounts {
  /** Messages EventBridge rule targets sent to SQS queues. */
  sqsDeliveries: number;
  /** SQS → Lambda batches (each is one ReceiveMessage that returned messages and one DeleteMessageBatch). */
  sqsBatches: number;
  sqsMessages: number;
  /** DynamoDB stream → Lambda batches (GetRecords by Lambda: free). */
  streamBatches: number;
  streamRecords: number;
}

/** Counts ministack 1.5.33's `[events] EventBridge → SQS` and `[lambda] ESM: Lambda … processed N … from` lines. */
export function serviceSideCounts(log: string): ServiceSideCounts {
  const counts: ServiceSideCounts = { sqsDeliveries: 0, sqsBatches: 0, sqsMessages: 0, streamBatches: 0, streamRecords: 0 };
  for (const line of log.split('\n')) {
    if (/\[events\] EventBridge → SQS /.test(line)) counts.sqsDeliveries++;
    const batch = /ESM: Lambda \S+ processed (\d+) (SQS messages|DynamoDB stream records) from/.exec(line);
    if (!batch) continue;
    if (batch[2] === 'SQS messages') {
      counts.sqsBatches++;
      counts.sqsMessages += Number(batch[1]);
    } else {
      counts.streamBatches++;
      counts.streamRecords += Number(batch[1]);
    }
  }
  return counts;
}

export interface RequestCount {
  caller: 'function' | 'lambda-service' | 'eventbridge' | 'client';
  service: string;
  operation: string;
  /** Billed requests (attempts) per completed order. */
  perOrder: number;
}

export interface WindowRecord {
  /** Orders that completed in the window. */
  orders: number;
  invocations: readonly Invocation[];
  serviceSide: ServiceSideCounts;
  /** HTTP requests the load driver made: POSTs and GET polls. */
  client: { posts: number; gets: number };
}

export interface UsageOptions {
  /** Functions left out of the per-order figures: the provider simulator (a third party on AWS), and the scheduled auditor and sweep (a fixed cost per month, not per order). */
  excluded?: (name: string) => boolean;
  /** Fraction of invocations that start cold on AWS (an assumption; see docs/performance.md). @default 0.01 */
  coldStartFraction?: number;
  /** Median INIT ms per function (from the cold-start measurement); a function missing here uses the largest. */
  initMs?: Record<string, number>;
  /** Payments in another region: forwarders' PutEvents bytes cross regions. @default true */
  crossRegion?: boolean;
}

export interface MeasuredUsage {
  requests: RequestCount[];
  usage: UsagePerOrder;
  /** Mean messages per SQS batch and records per stream batch in the window. */
  sqsBatch: number;
  streamBatch: number;
  /** Mean entries per PutEvents call and rows per outbox BatchWriteItem. */
  eventsPerPutEvents: number;
  rowsPerDelete: number;
  invocationsPerOrder: Record<string, number>;
  meanDurationMs: Record<string, number>;
  /** Requests per order by function and operation, for finding where the count exceeds the minimum. */
  requestsByFunction: Record<string, Record<string, number>>;
  /** Log bytes per order of Powertools INFO lines. */
  infoLogBytes: number;
  /** Invocations per order that start a trace even when trace headers propagate: the POST, and each relay batch (a stream record carries no trace header). */
  traceRootsPerOrder: number;
}

export function measuredUsage(record: WindowRecord, options: UsageOptions = {}): MeasuredUsage {
  const orders = Math.max(1, record.orders);
  const excluded = options.excluded ?? ((name: string) => /ProviderSimulator|Auditor|Sweeper/.test(name));
  const system = record.invocations.filter((invocation) => !excluded(invocation.name) && !isClientRead(invocation));
  const counts = new Map<string, RequestCount>();
  const add = (caller: RequestCount['caller'], service: string, operation: string, requests: number) => {
    const key = `${caller}|${service}|${operation}`;
    const entry = counts.get(key) ?? { caller, service, operation, perOrder: 0 };
    entry.perOrder += requests / orders;
    counts.set(key, entry);
  };
  let writeUnits = 0;
  let readUnits = 0;
  let events = 0;
  let putEventsCalls = 0;
  let deleteRows = 0;
  let deleteCalls = 0;
  let interRegionBytes = 0;
  let gbSeconds = 0;
  let initGbSeconds = 0;
  let logBytes = 0;
  let infoLogBytes = 0;
  const requestsByFunction: Record<string, Record<string, number>> = {};
  const invocationsPerOrder: Record<string, number> = {};
  const durations: Record<string, number[]> = {};
  const maxInit = Math.max(0, ...Object.values(options.initMs ?? {}));
  for (const invocation of system) {
    invocationsPerOrder[invocation.name] = (invocationsPerOrder[invocation.name] ?? 0) + 1 / orders;
    (durations[invocation.name] ??= []).push(invocation.durationMs);
    gbSeconds += (invocation.durationMs / 1000) * (invocation.memoryMb / 1024);
    initGbSeconds += (options.coldStartFraction ?? 0.01) * ((options.initMs?.[invocation.name] ?? maxInit) / 1000) * (invocation.memoryMb / 1024);
    logBytes += invocation.logBytes;
    infoLogBytes += invocation.infoLogBytes;
    for (const request of invocation.requests) {
      add('function', request.service, request.operation, request.attempts);
      const byOperation = (requestsByFunction[invocation.name] ??= {});
      byOperation[request.operation] = (byOperation[request.operation] ?? 0) + request.attempts / orders;
      if (request.service === 'DynamoDB') {
        const units = capacityUnits(request);
        writeUnits += units.write;
        readUnits += units.read;
        if (request.operation === 'BatchWriteItem') {
          deleteCalls++;
          deleteRows += request.items?.BatchDelete ?? 0;
        }
      }
      if (request.service === 'EventBridge' && request.operation === 'PutEvents') {
        events += (request.entries ?? 1) * request.attempts;
        putEventsCalls++;
        if (/Forward/.test(invocation.name) && (options.crossRegion ?? true)) interRegionBytes += (request.bytes ?? 0) * request.attempts;
      }
    }
  }
  const { serviceSide } = record;
  add('eventbridge', 'SQS', 'SendMessage', serviceSide.sqsDeliveries);
  add('lambda-service', 'SQS', 'ReceiveMessage', serviceSide.sqsBatches);
  add('lambda-service', 'SQS', 'DeleteMessageBatch', serviceSide.sqsBatches);
  add('lambda-service', 'DynamoDB Streams', 'GetRecords', serviceSide.streamBatches);
  add('client', 'API Gateway', 'POST /orders', record.client.posts);
  add('client', 'API Gateway', 'GET /orders/{id}', record.client.gets);
  const sqsByFunctions = [...counts.values()].filter((count) => count.caller === 'function' && count.service === 'SQS').reduce((sum, count) => sum + count.perOrder, 0);
  const perOrder = (value: number) => value / orders;
  const usage: UsagePerOrder = {
    lambdaInvocations: perOrder(system.length),
    lambdaGbSeconds: perOrder(gbSeconds),
    initGbSeconds: perOrder(initGbSeconds),
    sqsRequests: perOrder(serviceSide.sqsDeliveries + 2 * serviceSide.sqsBatches) + sqsByFunctions,
    eventBridgeEvents: perOrder(events),
    dynamoWriteUnits: perOrder(writeUnits),
    dynamoReadUnits: perOrder(readUnits),
    // The POST is the system's; the load driver's GET polls are the client's choice (a real client would be told by a notification).
    apiRequests: perOrder(record.client.posts),
    // Each invocation starts or continues a trace; counted as one trace each, the conservative reading.
    traces: perOrder(system.length),
    logBytes: perOrder(logBytes),
    interRegionBytes: perOrder(interRegionBytes),
  };
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    requests: [...counts.values()].sort((a, b) => a.caller.localeCompare(b.caller) || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation)),
    usage,
    sqsBatch: serviceSide.sqsBatches ? serviceSide.sqsMessages / serviceSide.sqsBatches : 1,
    streamBatch: serviceSide.streamBatches ? serviceSide.streamRecords / serviceSide.streamBatches : 1,
    eventsPerPutEvents: putEventsCalls ? events / putEventsCalls : 1,
    rowsPerDelete: deleteCalls ? deleteRows / deleteCalls : 1,
    invocationsPerOrder,
    meanDurationMs: Object.fromEntries(Object.entries(durations).map(([name, values]) => [name, mean(values)])),
    requestsByFunction,
    infoLogBytes: perOrder(infoLogBytes),
    traceRootsPerOrder: perOrder(system.filter((invocation) => /Api|Relay/.test(invocation.name)).length),
  };
}
