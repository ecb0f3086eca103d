/**
 * Dollars per million completed orders on AWS, from what the benchmark counted
 * and measured per order, and a dated price table (bench/prices-*.json). Pure.
 */
import fs from 'node:fs';

export interface Prices {
  date: string;
  region: string;
  lambda: { requestsPerMillion: number; gbSecondArm64: number; gbSecondX86: number };
  sqs: { requestsPerMillion: number };
  eventBridge: { customEventsPerMillion: number; schedulerInvocationsPerMillion: number };
  dynamoDb: { writeUnitsPerMillion: number; readUnitsPerMillion: number };
  xRay: { tracesRecordedPerMillion: number; defaultSampling: number };
  cloudWatchLogs: { ingestionPerGb: number };
  apiGateway: { httpRequestsPerMillion: number };
  dataTransfer: { interRegionPerGb: number };
}

export const defaultPricesFile = new URL('../../bench/prices-2026-11.json', import.meta.url);

export function loadPrices(file: URL | string = defaultPricesFile): Prices {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Prices;
}

/** What one completed order uses, counted or measured by the benchmark. */
export interface UsagePerOrder {
  lambdaInvocations: number;
  /** Invocation durations × configured memory. */
  lambdaGbSeconds: number;
  /** Cold starts per order × INIT duration × memory (INIT is billed for on-demand ZIP functions). */
  initGbSeconds: number;
  /** Every billed SQS request: EventBridge deliveries, event source mapping receives and deletes, SDK sends. */
  sqsRequests: number;
  /** PutEvents entries (64 KB chunks), the cross-region re-publications included. */
  eventBridgeEvents: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  apiRequests: number;
  /** Traces that would be recorded at 100 % sampling (one per invocation that starts a trace). */
  traces: number;
  logBytes: number;
  interRegionBytes: number;
}

export interface CostSettings {
  /** @default 'arm64' (DuckStoreFunction's) */
  architecture?: 'arm64' | 'x86_64';
  /** Fraction of traces recorded. @default prices.xRay.defaultSampling */
  xRaySampling?: number;
}

export interface CostLine {
  item: string;
  quantityPerOrder: number;
  unit: string;
  dollarsPerMillionOrders: number;
}

export interface CostBreakdown {
  lines: CostLine[];
  totalPerMillionOrders: number;
}

const perMillion = (quantityPerOrder: number, pricePerMillionUnits: number) => quantityPerOrder * pricePerMillionUnits;

export function costPerMillionOrders(usage: UsagePerOrder, prices: Prices, settings: CostSettings = {}): CostBreakdown {
  const gbSecond = settings.architecture === 'x86_64' ? prices.lambda.gbSecondX86 : prices.lambda.gbSecondArm64;
  const sampling = settings.xRaySampling ?? prices.xRay.defaultSampling;
  const gb = 1024 ** 3;
  const lines: CostLine[] = [
    { item: 'Lambda requests', quantityPerOrder: usage.lambdaInvocations, unit: 'invocations', dollarsPerMillionOrders: perMillion(usage.lambdaInvocations, prices.lambda.requestsPerMillion) },
    { item: 'Lambda duration', quantityPerOrder: usage.lambdaGbSeconds, unit: 'GB-s', dollarsPerMillionOrders: usage.lambdaGbSeconds * gbSecond * 1e6 },
    { item: 'Lambda INIT', quantityPerOrder: usage.initGbSeconds, unit: 'GB-s', dollarsPerMillionOrders: usage.initGbSeconds * gbSecond * 1e6 },
    { item: 'SQS requests', quantityPerOrder: usage.sqsRequests, unit: 'requests', dollarsPerMillionOrders: perMillion(usage.sqsRequests, prices.sqs.requestsPerMillion) },
    { item: 'EventBridge events', quantityPerOrder: usage.eventBridgeEvents, unit: 'events', dollarsPerMillionOrders: perMillion(usage.eventBridgeEvents, prices.eventBridge.customEventsPerMillion) },
    { item: 'DynamoDB writes', quantityPerOrder: usage.dynamoWriteUnits, unit: 'WRU', dollarsPerMillionOrders: perMillion(usage.dynamoWriteUnits, prices.dynamoDb.writeUnitsPerMillion) },
    { item: 'DynamoDB reads', quantityPerOrder: usage.dynamoReadUnits, unit: 'RRU', dollarsPerMillionOrders: perMillion(usage.dynamoReadUnits, prices.dynamoDb.readUnitsPerMillion) },
    { item: 'API Gateway (HTTP API)', quantityPerOrder: usage.apiRequests, unit: 'requests', dollarsPerMillionOrders: perMillion(usage.apiRequests, prices.apiGateway.httpRequestsPerMillion) },
    { item: `X-Ray (${Math.round(sampling * 100)} % sampled)`, quantityPerOrder: usage.traces * sampling, unit: 'traces', dollarsPerMillionOrders: perMillion(usage.traces * sampling, prices.xRay.tracesRecordedPerMillion) },
    { item: 'CloudWatch Logs', quantityPerOrder: usage.logBytes, unit: 'bytes', dollarsPerMillionOrders: (usage.logBytes * 1e6 * prices.cloudWatchLogs.ingestionPerGb) / gb },
    { item: 'Inter-region transfer', quantityPerOrder: usage.interRegionBytes, unit: 'bytes', dollarsPerMillionOrders: (usage.interRegionBytes * 1e6 * prices.dataTransfer.interRegionPerGb) / gb },
  ];
  return { lines, totalPerMillionOrders: lines.reduce((sum, line) => sum + line.dollarsPerMillionOrders, 0) };
}

export interface Lever {
  lever: string;
  totalPerMillionOrders: number;
}

/**
 * The same usage with one setting changed at a time: X-Ray sampling, function
 * memory (duration assumed unchanged, which flatters smaller memory), and full
 * batches (10 messages per SQS receive/delete and per Lambda invocation).
 */
export function costLevers(
  usage: UsagePerOrder,
  prices: Prices,
  options: { messagesPerOrder: number; sqsBatch: number; infoLogBytes?: number; traceRoots?: number },
): Lever[] {
  const total = (u: UsagePerOrder, settings: CostSettings = {}) => costPerMillionOrders(u, prices, settings).totalPerMillionOrders;
  const scaledMemory = (factor: number): UsagePerOrder => ({ ...usage, lambdaGbSeconds: usage.lambdaGbSeconds * factor, initGbSeconds: usage.initGbSeconds * factor });
  // Full batches: receive + delete per 10 messages instead of per measured batch, and 10 messages per consumer invocation.
  const batchedRequests = (2 * options.messagesPerOrder) / Math.max(1, options.sqsBatch) - (2 * options.messagesPerOrder) / 10;
  const batchedInvocations = options.messagesPerOrder / Math.max(1, options.sqsBatch) - options.messagesPerOrder / 10;
  const fullBatches: UsagePerOrder = {
    ...usage,
    sqsRequests: Math.max(0, usage.sqsRequests - batchedRequests),
    lambdaInvocations: Math.max(0, usage.lambdaInvocations - batchedInvocations),
  };
  return [
    { lever: 'as measured (default settings)', totalPerMillionOrders: total(usage) },
    { lever: 'X-Ray sampling 0 %', totalPerMillionOrders: total(usage, { xRaySampling: 0 }) },
    { lever: 'X-Ray sampling 100 %', totalPerMillionOrders: total(usage, { xRaySampling: 1 }) },
    { lever: 'memory 128 MB (same duration)', totalPerMillionOrders: total(scaledMemory(0.5)) },
    { lever: 'memory 512 MB (same duration)', totalPerMillionOrders: total(scaledMemory(2)) },
    { lever: 'x86_64 instead of arm64', totalPerMillionOrders: total(usage, { architecture: 'x86_64' }) },
    { lever: 'full SQS batches (10 per receive and per invocation)', totalPerMillionOrders: total(fullBatches) },
    ...(options.infoLogBytes !== undefined ? [{ lever: 'log level WARN (no INFO lines)', totalPerMillionOrders: total({ ...usage, logBytes: Math.max(0, usage.logBytes - options.infoLogBytes) }) }] : []),
    ...(options.traceRoots !== undefined ? [{ lever: 'one trace per hop chain (trace headers propagated)', totalPerMillionOrders: total({ ...usage, traces: options.traceRoots }) }] : []),
    ...(options.infoLogBytes !== undefined && options.traceRoots !== undefined
      ? [
          {
            lever: 'all three: full batches, log level WARN, traces propagated',
            totalPerMillionOrders: total({ ...fullBatches, logBytes: Math.max(0, usage.logBytes - options.infoLogBytes), traces: options.traceRoots }),
          },
        ]
      : []),
  ];
}

/** A DynamoDB request as the request counter logs it. */
export interface CountedDynamoRequest {
  operation: string;
  attempts: number;
  items?: Record<string, number>;
}

/**
 * Capacity units of a counted DynamoDB request, assuming items up to 1 KB:
 * transactional items 2 WRU each; PutItem, UpdateItem, DeleteItem and each
 * BatchWriteItem item 1 WRU; GetItem (DuckStore reads consistently) 1 RRU;
 * Query and Scan at least 1 RRU. Each attempt is billed.
 */
export function capacityUnits(request: CountedDynamoRequest): { write: number; read: number } {
  const items = request.items ?? {};
  const count = (kinds: string[]) => kinds.reduce((sum, kind) => sum + (items[kind] ?? 0), 0);
  let write = 0;
  let read = 0;
  switch (request.operation) {
    case 'TransactWriteItems':
      write = 2 * count(['Put', 'Update', 'Delete', 'ConditionCheck']);
      break;
    case 'BatchWriteItem':
      write = count(['BatchPut', 'BatchDelete']);
      break;
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      write = 1;
      break;
    case 'TransactGetItems':
      read = 2 * count(['Get']);
      break;
    case 'BatchGetItem':
      read = count(['BatchGet']);
      break;
    default:
      read = 1;
  }
  return { write: write * request.attempts, read: read * request.attempts };
}
