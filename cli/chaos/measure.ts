import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { AuditReport } from '../../functions/auditor/domain/report';
import { auditSourcesOf } from '../audit-sources';
import type { Deployment } from '../deployment';
import { queueDepths } from '../queues';
import { percentile } from '../stats';
import { confirmedWithinDeadline, readRows, sagaMs, type LoadRun, type PlacedOrder } from './load';

/** What the provider's ledger says about the orders of one run. */
export interface LedgerSummary {
  /** Authorizations per order that were not declined (AUTHORIZED or REFUNDED): more than one is a duplicate charge. */
  chargesByOrder: Map<string, number>;
  /** Orders charged more than once. */
  duplicates: string[];
}

/**
 * Scans the simulator's ledger table (one Scan for the run rather than one
 * `GET /v1/ledger` per order). Undefined when the deployment has no simulator.
 */
export async function ledgerSummary(deployment: Deployment, orderIds: ReadonlySet<string>): Promise<LedgerSummary | undefined> {
  const ledger = auditSourcesOf(deployment).tables.ledger;
  if (!ledger) return undefined;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(ledger.region)));
  const chargesByOrder = new Map<string, number>();
  try {
    for await (const page of paginateScan({ client }, { TableName: ledger.tableName, ConsistentRead: true })) {
      for (const row of page.Items ?? []) {
        if (row.kind !== 'authorization' || !orderIds.has(String(row.orderId)) || row.status === 'DECLINED') continue;
        chargesByOrder.set(String(row.orderId), (chargesByOrder.get(String(row.orderId)) ?? 0) + 1);
      }
    }
  } finally {
    client.destroy();
  }
  return { chargesByOrder, duplicates: [...chargesByOrder].filter(([, charges]) => charges > 1).map(([orderId]) => orderId) };
}

export interface LostOrder {
  orderId: string;
  why: string;
}

/**
 * Accepted orders that did not make it: still PENDING (or unreadable) after
 * the convergence wait, never seen by inventory, or CONFIRMED without an
 * authorized payment.
 */
export async function lostOrders(deployment: Deployment, orders: PlacedOrder[]): Promise<LostOrder[]> {
  const reservations = await readRows(deployment, 'inventory', orders.map((order) => `RESERVATION#${order.orderId}`));
  const confirmed = orders.filter((order) => order.status === 'CONFIRMED');
  const payments = await readRows(deployment, 'payments', confirmed.map((order) => `PAYMENT#${order.orderId}`));
  const lost: LostOrder[] = [];
  for (const order of orders) {
    if (order.status === 'PENDING') lost.push({ orderId: order.orderId, why: order.createdAt ? 'still PENDING' : 'no order row' });
    else if (!reservations.has(`RESERVATION#${order.orderId}`)) lost.push({ orderId: order.orderId, why: `${order.status} but inventory never saw it` });
    else if (order.status === 'CONFIRMED' && payments.get(`PAYMENT#${order.orderId}`)?.status !== 'AUTHORIZED') {
      lost.push({ orderId: order.orderId, why: `CONFIRMED but payment is ${String(payments.get(`PAYMENT#${order.orderId}`)?.status ?? 'missing')}` });
    }
  }
  return lost;
}

/** The working queues (DLQs aside) that hold a message or have one in flight, now. */
export async function busyQueues(deployment: Deployment): Promise<string[]> {
  return (await queueDepths(deployment)).filter((queue) => !queue.isDeadLetterQueue && queue.visible + queue.inFlight > 0).map((queue) => `${queue.region} ${queue.name}`);
}

/** The figures of one run, as the experiment's table shows them. */
export interface RunFigures {
  offered: number;
  accepted: number;
  /** POSTs the API refused (after the client's retries). */
  rejected: number;
  /** Of those, refused with 503 by admission control, and by which signal (the problem's reason). */
  refusedOverloaded: number;
  shedReasons: Record<string, number>;
  /** 503 answers to any attempt, those the client's retry got past included. */
  overloadedAnswers: number;
  confirmed: number;
  cancelled: Record<string, number>;
  pending: number;
  /** CONFIRMED ÷ offered, in the end. */
  eventualSuccess: number;
  /** CONFIRMED by the order's saga deadline ÷ offered. */
  successWithinDeadline: number;
  sagaP50Ms: number | undefined;
  sagaP95Ms: number | undefined;
  /** Saga latency of the CONFIRMED orders only. */
  confirmedP50Ms: number | undefined;
  confirmedP95Ms: number | undefined;
}

const ratio = (part: number, whole: number) => (whole === 0 ? 0 : Number((part / whole).toFixed(4)));

export function runFigures(run: LoadRun, offered: number): RunFigures {
  const terminal = run.orders.filter((order) => order.status !== 'PENDING');
  const confirmed = run.orders.filter((order) => order.status === 'CONFIRMED');
  const cancelled: Record<string, number> = {};
  for (const order of run.orders.filter((candidate) => candidate.status === 'CANCELLED')) {
    const reason = order.cancellationReason ?? 'UNKNOWN';
    cancelled[reason] = (cancelled[reason] ?? 0) + 1;
  }
  const overloaded = run.rejected.filter((post) => post.status === 503);
  const shedReasons: Record<string, number> = {};
  for (const post of overloaded) {
    const reason = /\((count|oldest-age|breaker):/.exec(post.detail)?.[1] ?? 'unknown';
    shedReasons[reason] = (shedReasons[reason] ?? 0) + 1;
  }
  const times = (orders: PlacedOrder[]) => orders.map(sagaMs).filter((ms): ms is number => ms !== undefined);
  return {
    offered,
    accepted: run.orders.length,
    rejected: run.rejected.length,
    refusedOverloaded: overloaded.length,
    shedReasons,
    overloadedAnswers: run.overloadedAnswers ?? 0,
    confirmed: confirmed.length,
    cancelled,
    pending: run.orders.length - terminal.length,
    eventualSuccess: ratio(confirmed.length, offered),
    successWithinDeadline: ratio(run.orders.filter(confirmedWithinDeadline).length, offered),
    sagaP50Ms: percentile(times(terminal), 50),
    sagaP95Ms: percentile(times(terminal), 95),
    confirmedP50Ms: percentile(times(confirmed), 50),
    confirmedP95Ms: percentile(times(confirmed), 95),
  };
}

/**
 * Invariant 8 and the authorize-then-refund count of one run, from the
 * audit (which covers the whole deployment, earlier runs included): how many
 * of the run's orders had a hold made and given back, split by whether the
 * order was cancelled before the fault healed (while the provider was out,
 * say) or after it.
 */
export interface ChargeAfterCancel {
  invariant: { passed: boolean; checked: number; violations: number; orderIds: string[] };
  /** Undefined without the provider's ledger (a real provider). */
  authorizeThenRefund: { run: number; cancelledBeforeHeal: number; cancelledAfterHeal: number; deployment: number } | undefined;
}

export function chargeAfterCancelOf(report: Pick<AuditReport, 'invariants' | 'authorizeThenRefunds'>, runOrderIds: ReadonlySet<string>, healedAt: number): ChargeAfterCancel {
  const invariant = report.invariants.find((candidate) => candidate.id === 8);
  const all = report.authorizeThenRefunds;
  const run = all?.filter((entry) => runOrderIds.has(entry.orderId)) ?? [];
  const before = run.filter((entry) => entry.cancelledAt !== undefined && Date.parse(entry.cancelledAt) < healedAt).length;
  return {
    invariant: { passed: invariant?.passed ?? false, checked: invariant?.checked ?? 0, violations: invariant?.violations ?? 0, orderIds: invariant?.orderIds.slice(0, 10) ?? [] },
    authorizeThenRefund: all === undefined ? undefined : { run: run.length, cancelledBeforeHeal: before, cancelledAfterHeal: run.length - before, deployment: all.length },
  };
}

/** `invariant 8 ok (N checked); authorize-then-refund R (B before the heal, A after; D in the deployment)`, for reports. */
export function formatChargeAfterCancel({ invariant, authorizeThenRefund: refunds }: ChargeAfterCancel): string {
  const verdict = invariant.passed ? `ok (${invariant.checked} authorization(s) checked)` : `FAILED: ${invariant.violations} finding(s), orders ${invariant.orderIds.join(' ')}`;
  const count = refunds === undefined ? 'n/a (no provider ledger)' : `${refunds.run} (${refunds.cancelledBeforeHeal} cancelled before the heal, ${refunds.cancelledAfterHeal} after; ${refunds.deployment} in the whole deployment)`;
  return `invariant 8 no-charge-after-cancel ${verdict}; authorize-then-refund ${count}`;
}
