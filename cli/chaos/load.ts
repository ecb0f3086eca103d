import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContextName } from '#contracts/envelope';
import type { OrderStatus } from '#contracts/primitives';
import { regionOf } from '../../lib/topology';
import { ApiError, OrdersApiClient } from '../api-client';
import { stateTableOf, type Deployment } from '../deployment';
import { percentile } from '../stats';
import type { LoadSpec } from './scenario';

/** An order the load placed, as the API answered and as its row says now. */
export interface PlacedOrder {
  orderId: string;
  idempotencyKey: string;
  customerId: string;
  sku: string;
  /** When the POST was answered (ms since epoch). */
  acceptedAt: number;
  status: OrderStatus;
  cancellationReason?: string;
  /** From the row: placement, deadline, last transition. */
  createdAt?: string;
  deadline?: string;
  endedAt?: string;
}

/** A POST the API did not accept (after the client's own retries). */
export interface RejectedPost {
  index: number;
  status: number | 'network';
  detail: string;
}

export interface LoadRun {
  runId: string;
  startedAt: number;
  /** When the last POST was answered. */
  placedAt: number;
  orders: PlacedOrder[];
  rejected: RejectedPost[];
  /** 503 answers to any attempt, retried or not: how often admission control said "not now". */
  overloadedAnswers?: number;
  postP50Ms: number | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Places `spec.orders` orders through the API: at most `spec.concurrency`
 * POSTs in flight, at most `spec.ratePerSecond` started per second. It does
 * not wait for the sagas (`OrderTracker` does): placement runs open loop, so
 * a slow saga never slows the offered load, as in a real shop. A POST that
 * fails for a reason other than a 4xx is retried with the same
 * Idempotency-Key, as a real client does (at most 3 times), after the
 * Retry-After the API gave, if it gave one (admission control's 503).
 */
export async function placeOrders(api: OrdersApiClient, spec: LoadSpec, options: { runId?: string; onPlaced?: (order: PlacedOrder) => void } = {}): Promise<LoadRun> {
  const runId = options.runId ?? randomUUID().slice(0, 8);
  const startedAt = Date.now();
  const orders: PlacedOrder[] = [];
  const rejected: RejectedPost[] = [];
  const postTimes: number[] = [];
  let overloadedAnswers = 0;
  let next = 0;
  const client = async () => {
    for (;;) {
      const index = next++;
      if (index >= spec.orders) return;
      if (spec.ratePerSecond) {
        const due = startedAt + (index * 1000) / spec.ratePerSecond;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      const sku = spec.skus[index % spec.skus.length]!;
      const customerId = `chaos-${runId}-${index}`;
      const key = randomUUID();
      let failure: RejectedPost | undefined;
      for (let attempt = 1; attempt <= 3; attempt++) {
        const postStart = performance.now();
        try {
          const { orderId } = await api.placeOrder({ customerId, items: [{ sku, quantity: 1 }] }, key);
          postTimes.push(performance.now() - postStart);
          const order: PlacedOrder = { orderId, idempotencyKey: key, customerId, sku, acceptedAt: Date.now(), status: 'PENDING' };
          orders.push(order);
          options.onPlaced?.(order);
          failure = undefined;
          break;
        } catch (error) {
          failure =
            error instanceof ApiError
              ? { index, status: error.status, detail: error.message }
              : { index, status: 'network', detail: (error as Error).message };
          if (error instanceof ApiError && error.status === 503) overloadedAnswers++;
          if (error instanceof ApiError && error.status < 500 && error.status !== 429) break;
          // As a well-behaved client: when the API says how long to wait (a shed order), wait that long (at most 30 s).
          await sleep(error instanceof ApiError && error.retryAfterSeconds !== undefined ? Math.min(30, error.retryAfterSeconds) * 1000 : 250 * attempt);
        }
      }
      if (failure) rejected.push(failure);
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, Math.max(1, spec.orders)) }, client));
  const p50 = percentile(postTimes, 50);
  return { runId, startedAt, placedAt: Date.now(), orders, rejected, overloadedAnswers, postP50Ms: p50 === undefined ? undefined : Math.round(p50) };
}

interface OrderRow {
  orderId: string;
  status: OrderStatus;
  cancellationReason?: string;
  createdAt: string;
  deadline: string;
  history: { status: OrderStatus; at: string }[];
}

/** Reads rows by `pk` from a context's table, 100 keys per BatchGet, following unprocessed keys. */
export async function readRows(deployment: Deployment, context: ContextName, keys: string[]): Promise<Map<string, Record<string, unknown>>> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(regionOf(deployment.topology, context))));
  const tableName = stateTableOf(deployment, context);
  const rows = new Map<string, Record<string, unknown>>();
  try {
    for (let start = 0; start < keys.length; start += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }> | undefined = {
        [tableName]: { Keys: keys.slice(start, start + 100).map((pk) => ({ pk })), ConsistentRead: true },
      };
      for (let round = 0; request && Object.keys(request).length > 0; round++) {
        if (round > 0) await sleep(Math.min(1000, 50 * 2 ** round));
        const { Responses, UnprocessedKeys }: { Responses?: Record<string, Record<string, unknown>[]>; UnprocessedKeys?: Record<string, unknown> } = await client.send(
          new BatchGetCommand({ RequestItems: request }),
        );
        for (const row of Responses?.[tableName] ?? []) rows.set(String(row.pk), row);
        request = UnprocessedKeys as typeof request;
      }
    }
    return rows;
  } finally {
    client.destroy();
  }
}

/**
 * Follows the orders a load placed by reading their rows (BatchGet on the
 * orders table, not one API call per order: the poll must not itself load
 * the system it measures).
 */
export class OrderTracker {
  constructor(private readonly deployment: Deployment) {}

  /** Updates each order from its row; returns how many are still PENDING. */
  async refresh(orders: PlacedOrder[]): Promise<number> {
    const open = orders.filter((order) => order.status === 'PENDING');
    const rows = await readRows(this.deployment, 'orders', open.map((order) => `ORDER#${order.orderId}`));
    for (const order of open) {
      const row = rows.get(`ORDER#${order.orderId}`) as OrderRow | undefined;
      if (!row) continue;
      order.status = row.status;
      order.createdAt = row.createdAt;
      order.deadline = row.deadline;
      if (row.cancellationReason) order.cancellationReason = row.cancellationReason;
      if (row.status !== 'PENDING') order.endedAt = row.history.at(-1)?.at;
    }
    return orders.filter((order) => order.status === 'PENDING').length;
  }

  /** Polls until every order is terminal or `timeoutMs` passes; returns how many are still PENDING. */
  async waitForTerminal(orders: PlacedOrder[], timeoutMs: number, intervalMs = 1000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = await this.refresh(orders);
      if (pending === 0 || Date.now() >= deadline) return pending;
      await sleep(intervalMs);
    }
  }
}

/** Saga time of a terminal order: from placement to its last transition, as its row records them. */
export const sagaMs = (order: PlacedOrder): number | undefined =>
  order.createdAt && order.endedAt ? Date.parse(order.endedAt) - Date.parse(order.createdAt) : undefined;

/** A terminal order that ended by its deadline (CONFIRMED no later than its `deadline`). */
export const confirmedWithinDeadline = (order: PlacedOrder): boolean =>
  order.status === 'CONFIRMED' && order.endedAt !== undefined && order.deadline !== undefined && Date.parse(order.endedAt) <= Date.parse(order.deadline);
