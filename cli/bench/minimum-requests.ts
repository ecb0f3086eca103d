/**
 * The fewest AWS requests one completed (confirmed) order needs in this
 * design, line by line, so the benchmark can put the counted requests next to
 * them. Pure: the batching figures are inputs (1 at low load, up to the API's
 * maximum when batches fill), the event flow comes from DESIGN.md and
 * functions/contracts/subscriptions.ts. docs/performance.md explains each line.
 */

export type Service = 'DynamoDB' | 'SQS' | 'EventBridge' | 'Scheduler' | 'DynamoDB Streams';

/** Who makes the request: a DuckStore function's SDK client, the Lambda service (event source mappings), or EventBridge (rule targets). */
export type Caller = 'function' | 'lambda-service' | 'eventbridge';

export interface RequestLine {
  caller: Caller;
  service: Service;
  operation: string;
  /** Requests per completed order (fractional when a request is shared by a batch). */
  perOrder: number;
  /** Whether AWS bills the request itself (stream reads by Lambda and Scheduler API calls are free). */
  billed: boolean;
  why: string;
}

export interface MinimumOptions {
  /** Payments runs in another region than orders and inventory (the default topology): two events cross through forwarders. @default true */
  crossRegion?: boolean;
  /** Mean messages per SQS receive and per DeleteMessageBatch (1 to 10). @default 1 */
  sqsBatch?: number;
  /** Mean entries per PutEvents call (1 to 10). @default 1 */
  eventsPerPutEvents?: number;
  /** Mean outbox rows per BatchWriteItem delete and per stream batch (1 to 25). @default 1 */
  rowsPerBatch?: number;
}

/** The happy path: OrderPlaced → InventoryReserved → PaymentAuthorized → OrderConfirmed (→ notification). */
export const happyPathEvents = ['OrderPlaced', 'InventoryReserved', 'PaymentAuthorized', 'OrderConfirmed'] as const;

/**
 * SQS messages per order, one per (event, subscribed queue): OrderPlaced → inventory and
 * deadline arming; InventoryReserved → payments; PaymentAuthorized → orders; OrderConfirmed
 * → notifications; and, across regions, InventoryReserved and PaymentAuthorized each through
 * a forwarding queue first.
 */
export const queueMessagesPerOrder = (crossRegion: boolean): number => 5 + (crossRegion ? 2 : 0);

/** Events handled by an idempotent consumer (Powertools idempotency: one conditional PutItem and one UpdateItem each). */
const idempotentDeliveries = 5;

export function minimumRequests(options: MinimumOptions = {}): RequestLine[] {
  const crossRegion = options.crossRegion ?? true;
  const sqsBatch = clamp(options.sqsBatch ?? 1, 1, 10);
  const eventsPerCall = clamp(options.eventsPerPutEvents ?? 1, 1, 10);
  const rowsPerBatch = clamp(options.rowsPerBatch ?? 1, 1, 25);
  const events = happyPathEvents.length;
  const forwarded = crossRegion ? 2 : 0;
  const messages = queueMessagesPerOrder(crossRegion);
  const line = (caller: Caller, service: Service, operation: string, perOrder: number, billed: boolean, why: string): RequestLine => ({
    caller,
    service,
    operation,
    perOrder,
    billed,
    why,
  });
  return [
    line('function', 'DynamoDB', 'TransactWriteItems', 4, true, 'one transaction per state change with its outbox row: the API (order + key claim + outbox), inventory, payments, orders'),
    line('function', 'DynamoDB', 'PutItem', idempotentDeliveries + 1, true, 'idempotency record in progress, once per consumed event (5), and the notification log row'),
    line('function', 'DynamoDB', 'UpdateItem', idempotentDeliveries, true, 'idempotency record completed, once per consumed event'),
    line('function', 'DynamoDB', 'BatchWriteItem', events / rowsPerBatch, true, 'relays delete the published outbox rows, up to 25 per call'),
    line('function', 'EventBridge', 'PutEvents', (events + forwarded) / eventsPerCall, true, 'relays publish the 4 saga events; forwarders re-publish 2 in the other region; up to 10 per call'),
    line('function', 'Scheduler', 'CreateSchedule', 1, false, 'the saga deadline timer (Scheduler bills invocations, not API calls)'),
    line('function', 'Scheduler', 'DeleteSchedule', 1, false, 'the timer removed when the order turns terminal'),
    line('eventbridge', 'SQS', 'SendMessage', messages, true, 'each rule target delivery to a consumer or forwarding queue'),
    line('lambda-service', 'SQS', 'ReceiveMessage', messages / sqsBatch, true, 'event source mapping polls that return messages (idle long polls are a fixed cost per queue, not per order)'),
    line('lambda-service', 'SQS', 'DeleteMessageBatch', messages / sqsBatch, true, 'event source mapping deletes each processed batch'),
    line('lambda-service', 'DynamoDB Streams', 'GetRecords', events / rowsPerBatch, false, 'stream reads by Lambda triggers are free'),
  ];
}

/** Lambda invocations per completed order: the POST, the relay batches and the consumer batches. */
export function minimumInvocations(options: MinimumOptions = {}): number {
  const crossRegion = options.crossRegion ?? true;
  return 1 + happyPathEvents.length / clamp(options.rowsPerBatch ?? 1, 1, 25) + queueMessagesPerOrder(crossRegion) / clamp(options.sqsBatch ?? 1, 1, 10);
}

/** Sum of perOrder over lines, optionally only those matching. */
export function totalRequests(lines: readonly RequestLine[], filter: (line: RequestLine) => boolean = () => true): number {
  return lines.filter(filter).reduce((sum, line) => sum + line.perOrder, 0);
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}
