import type { OrderStatus } from '#contracts/primitives';
import type { ReservationStatus } from '../../../inventory/domain/reservation';
import type { PaymentStatus } from '../../../payments/domain/payment';
import { missing, type Check, type CheckFinding } from './check';

interface Machine<S extends string> {
  /** States a row may be created in. */
  initial: readonly S[];
  /** The legal moves; a terminal state has none, so anything after it (itself included) is a finding. */
  next: Record<S, readonly S[]>;
}

/**
 * The state machines as DESIGN.md and the context READMEs specify them,
 * written down here independently of the `decide` functions: the auditor is
 * the second opinion on them, not a copy.
 */
export const machines = {
  order: { initial: ['PENDING'], next: { PENDING: ['CONFIRMED', 'CANCELLED'], CONFIRMED: [], CANCELLED: [] } } satisfies Machine<OrderStatus>,
  reservation: { initial: ['HELD', 'REJECTED', 'VOID'], next: { HELD: ['RELEASED'], REJECTED: [], RELEASED: [], VOID: [] } } satisfies Machine<ReservationStatus>,
  payment: {
    initial: ['AUTHORIZED', 'DECLINED', 'CANCELLED'],
    next: { AUTHORIZED: ['REFUNDED'], DECLINED: [], CANCELLED: ['REFUNDED'], REFUNDED: [] },
  } satisfies Machine<PaymentStatus>,
} as const;

function walk<S extends string>(machine: Machine<S>, kind: string, orderId: string, status: S, history: readonly { status: S }[]): CheckFinding[] {
  const findings: CheckFinding[] = [];
  const path = history.map((entry) => entry.status).join(' → ');
  const first = history[0];
  if (first && !machine.initial.includes(first.status)) {
    findings.push({ code: 'illegal-first-state', orderId, subject: kind, message: `the ${kind} of order ${orderId} started in ${first.status}: ${path}` });
  }
  for (let index = 1; index < history.length; index++) {
    const from = history[index - 1]!.status;
    const to = history[index]!.status;
    if (!machine.next[from].includes(to)) {
      const why = machine.next[from].length === 0 ? `${from} is terminal` : `${from} may only move to ${machine.next[from].join(' or ')}`;
      findings.push({ code: 'illegal-transition', orderId, subject: kind, message: `the ${kind} of order ${orderId} moved ${from} → ${to} (${why}): ${path}` });
    }
  }
  const last = history.at(-1);
  if (last && last.status !== status) {
    findings.push({ code: 'status-differs-from-history', orderId, subject: kind, message: `the ${kind} of order ${orderId} is ${status} but its history ends in ${last.status}: ${path}` });
  }
  return findings;
}

/**
 * Invariant 7. Each row's history (orders, reservations, payments) is the
 * record of every move it made: it must be a path of its state machine, from
 * a legal first state, with the row's status as its last entry, so a late or
 * duplicate event that moved a terminal row shows as a move out of it.
 */
export const onlyForward: Check = (context) => {
  const { orders, reservations, payments } = context.model;
  const findings: CheckFinding[] = [];
  const skipped: string[] = [];
  let checked = 0;
  let withoutHistory = 0;

  for (const order of orders.values()) {
    checked++;
    findings.push(...walk(machines.order, 'order', order.orderId, order.status, order.history));
  }
  for (const reservation of reservations.values()) {
    checked++;
    // Rows from before reservations kept a history have only their status to go by.
    if (!reservation.history?.length) withoutHistory++;
    else findings.push(...walk(machines.reservation, 'reservation', reservation.orderId, reservation.status, reservation.history));
  }
  for (const payment of payments.values()) {
    checked++;
    findings.push(...walk(machines.payment, 'payment', payment.orderId, payment.status, payment.history));
  }
  const absent = missing(context, 'orders', 'inventory', 'payments');
  if (absent) skipped.push(`needs ${absent}`);
  if (withoutHistory > 0) skipped.push(`${withoutHistory} reservation(s) without a history`);
  return { checked, findings, skipped };
};
