import { describe, expect, it } from 'vitest';
import { audit } from '../../../functions/auditor/domain/audit';
import type { AuditReport, InvariantId } from '../../../functions/auditor/domain/report';
import type { AuditSnapshot } from '../../../functions/auditor/domain/snapshot';
import { ago, auditNow, auditOptions, nextId, outboxRowFor, removeRow, rowOf, SnapshotBuilder } from '../../helpers/auditor-snapshot';

const failing = (report: AuditReport): InvariantId[] => report.invariants.filter((invariant) => !invariant.passed).map((invariant) => invariant.id);
const findingsOf = (report: AuditReport, id: InvariantId) => report.invariants.find((invariant) => invariant.id === id)!.findings;

function cleanSystem() {
  const builder = new SnapshotBuilder();
  const ids = builder.everyOutcome();
  return { ids, snapshot: builder.build() };
}

describe('audit of a healthy system', () => {
  it('passes every invariant, having checked something for each', () => {
    const { snapshot } = cleanSystem();

    const report = audit(snapshot, auditOptions);

    expect(failing(report)).toEqual([]);
    expect(report.ok).toBe(true);
    for (const invariant of report.invariants) {
      expect(invariant.checked, `invariant ${invariant.id} examined nothing`).toBeGreaterThan(0);
      expect(invariant.skipped, `invariant ${invariant.id}`).toEqual([]);
    }
    expect(report.counts.orders).toEqual({ total: 6, PENDING: 1, CONFIRMED: 1, CANCELLED: 4 });
    expect(report.counts.ledgerAuthorizations).toBe(3);
  });

  it('ignores attributes it does not know and rows of kinds it does not audit', () => {
    const { ids, snapshot } = cleanSystem();
    rowOf(snapshot, 'orders', `ORDER#${ids.confirmed}`).loyaltyPoints = 12;
    snapshot.tables.payments!.push({ pk: `ATTEMPT#${ids.confirmed}`, kind: 'authorization-attempt', orderId: ids.confirmed, at: ago(598), eventId: nextId(), expiresAt: 1 });
    snapshot.tables.ledger!.push({ pk: 'AUTHID#auth_x', kind: 'authorization-id', idempotencyKey: ids.confirmed });

    expect(audit(snapshot, auditOptions).ok).toBe(true);
  });

  it('reads rows written before `principal` and `deadline` existed', () => {
    const { ids, snapshot } = cleanSystem();
    for (const row of snapshot.tables.orders!) {
      delete row.principal;
      delete row.deadline;
    }

    expect(failing(audit(snapshot, auditOptions))).toEqual([]);
    expect(ids.pending).toBeDefined();
  });

  it('gives orders younger than the outbox bound time before it requires their downstream rows', () => {
    const builder = new SnapshotBuilder();
    const young = builder.saga({ outcome: 'confirmed', placedAgo: 30 });
    const snapshot = builder.build();
    removeRow(snapshot, 'notifications', `NOTIFICATION#${young}#CONFIRMED`);
    snapshot.tables.orders!.push(outboxRowFor(young, ago(2)));

    const report = audit(snapshot, auditOptions);

    expect(failing(report)).toEqual([]);
    expect(report.counts.unsettledOrders).toBe(1);
  });
});

interface Violation {
  name: string;
  invariant: InvariantId;
  code: string;
  /** Changes the clean snapshot; returns the order the finding must name (or undefined for a SKU or queue). */
  seed: (snapshot: AuditSnapshot, ids: ReturnType<SnapshotBuilder['everyOutcome']>) => string | undefined;
  /** Every invariant the change breaks: the auditor must not blame others. @default [invariant] */
  fails?: InvariantId[];
  subject?: string;
}

const order = (snapshot: AuditSnapshot, orderId: string) => rowOf(snapshot, 'orders', `ORDER#${orderId}`);
const historyOf = (row: Record<string, unknown>) => row.history as { status: string; at: string; reason: string; eventId?: string }[];

const violations: Violation[] = [
  {
    name: 'a row that does not match its schema (a finding, not a crash)',
    invariant: 0,
    code: 'invalid-row',
    seed: (snapshot, ids) => {
      order(snapshot, ids.confirmed).total = { amountCents: '12.00', currency: 'USD' };
      return ids.confirmed;
    },
    // Its other rows are not taken for orphans: the order exists, it is unreadable.
  },
  {
    name: 'a table that could not be read',
    invariant: 0,
    code: 'unreadable-table',
    seed: (snapshot) => {
      delete snapshot.tables.payments;
      snapshot.unreadable = [{ source: 'payments', error: 'AccessDeniedException' }];
      return undefined;
    },
    subject: 'payments',
  },
  {
    name: 'two orders for one principal and key',
    invariant: 1,
    code: 'duplicate-order',
    seed: (snapshot, ids) => {
      const duplicate = structuredClone(order(snapshot, ids.confirmed));
      const orderId = nextId();
      Object.assign(duplicate, { pk: `ORDER#${orderId}`, orderId, createdAt: ago(500), history: [{ status: 'PENDING', at: ago(500), reason: 'placed' }, { status: 'CONFIRMED', at: ago(497), reason: 'PaymentAuthorized' }], updatedAt: ago(497) });
      snapshot.tables.orders!.push(duplicate);
      return orderId;
    },
    // The phantom has no downstream rows of its own: that is how a phantom order shows elsewhere.
    fails: [1, 4, 5, 6],
  },
  {
    name: 'a copy of an order under its key, made at the same instant: the one its claim does not name',
    invariant: 1,
    code: 'duplicate-order',
    seed: (snapshot, ids) => {
      // Order ids sort before the original's, so only the claim can tell which one is the phantom.
      const phantomId = '00000000-0000-4000-8000-000000000000';
      snapshot.tables.orders!.push({ ...structuredClone(order(snapshot, ids.declined)), pk: `ORDER#${phantomId}`, orderId: phantomId });
      return phantomId;
    },
    // A cancelled phantom, so long ago: nobody reserved, charged, refunded or notified it.
    fails: [1, 5, 6],
  },
  {
    name: 'a second order of a key whose principal is unknown (a row from before `principal`, its claim expired)',
    invariant: 1,
    code: 'duplicate-order',
    seed: (snapshot, ids) => {
      const first = order(snapshot, ids.refunded);
      const second = order(snapshot, ids.declined);
      delete first.principal;
      delete second.principal;
      second.idempotencyKey = first.idempotencyKey;
      snapshot.tables.orders = snapshot.tables.orders!.filter((row) => !String(row.pk).startsWith('IDEMPOTENCY-KEY#'));
      return [ids.refunded, ids.declined].sort().at(-1);
    },
  },
  {
    name: 'an idempotency claim that points at no order',
    invariant: 1,
    code: 'claim-without-order',
    seed: (snapshot) => {
      const orderId = nextId();
      snapshot.tables.orders!.push({ pk: 'IDEMPOTENCY-KEY#anonymous#key-lost', kind: 'idempotency-key', orderId, requestHash: 'h', expiresAt: 2_000_000_000 });
      return orderId;
    },
  },
  {
    name: 'a PENDING order past its deadline and the grace',
    invariant: 2,
    code: 'stuck-pending',
    seed: (snapshot, ids) => {
      Object.assign(order(snapshot, ids.pending), { createdAt: ago(1000), deadline: ago(700), updatedAt: ago(1000), history: [{ status: 'PENDING', at: ago(1000), reason: 'placed' }] });
      return ids.pending;
    },
    // Placed 1000 s ago and never reserved: OrderPlaced was lost too.
    fails: [2, 6],
  },
  {
    name: 'a PENDING order without `deadline` past creation + the default deadline',
    invariant: 2,
    code: 'stuck-pending',
    seed: (snapshot, ids) => {
      const row = order(snapshot, ids.pending);
      delete row.deadline;
      Object.assign(row, { createdAt: ago(361), updatedAt: ago(361), history: [{ status: 'PENDING', at: ago(361), reason: 'placed' }] });
      snapshot.tables.inventory!.push({ pk: `RESERVATION#${ids.pending}`, kind: 'reservation', orderId: ids.pending, status: 'REJECTED', lines: row.lines, updatedAt: ago(360) });
      return ids.pending;
    },
  },
  {
    name: 'negative stock',
    invariant: 3,
    code: 'negative-stock',
    seed: (snapshot) => {
      Object.assign(rowOf(snapshot, 'inventory', 'SKU#DUCK-LIMITED'), { available: -1, received: 2 });
      return undefined;
    },
    subject: 'DUCK-LIMITED',
  },
  {
    name: 'stock that leaked: received ≠ available + held + sold',
    invariant: 3,
    code: 'stock-not-conserved',
    seed: (snapshot) => {
      (rowOf(snapshot, 'inventory', 'SKU#DUCK-PIRATE').available as number) -= 1;
      return undefined;
    },
    subject: 'DUCK-PIRATE',
  },
  {
    name: 'a cancelled order whose reservation still holds stock',
    invariant: 3,
    code: 'cancelled-holds-stock',
    seed: (snapshot, ids) => {
      const reservation = rowOf(snapshot, 'inventory', `RESERVATION#${ids.refunded}`);
      Object.assign(reservation, { status: 'HELD', history: historyOf(reservation).slice(0, 1) });
      (rowOf(snapshot, 'inventory', 'SKU#DUCK-NINJA').available as number) -= 1;
      return ids.refunded;
    },
  },
  {
    name: 'a confirmed order whose sold stock went back on the shelf',
    invariant: 3,
    code: 'confirmed-without-stock',
    seed: (snapshot, ids) => {
      const reservation = rowOf(snapshot, 'inventory', `RESERVATION#${ids.confirmed}`);
      Object.assign(reservation, { status: 'RELEASED', history: [...historyOf(reservation), { status: 'RELEASED', at: ago(500), reason: 'OrderCancelled', eventId: nextId() }] });
      (rowOf(snapshot, 'inventory', 'SKU#DUCK-PIRATE').available as number) += 2;
      (rowOf(snapshot, 'inventory', 'SKU#DUCK-CLASSIC').available as number) += 1;
      return ids.confirmed;
    },
  },
  {
    name: 'a SKU row without `received`',
    invariant: 3,
    code: 'received-unknown',
    seed: (snapshot) => {
      delete rowOf(snapshot, 'inventory', 'SKU#DUCK-GOLD').received;
      return undefined;
    },
    subject: 'DUCK-GOLD',
  },
  {
    name: 'a confirmed order without a payment',
    invariant: 4,
    code: 'confirmed-without-payment',
    seed: (snapshot, ids) => {
      removeRow(snapshot, 'payments', `PAYMENT#${ids.confirmed}`);
      return ids.confirmed;
    },
    // Its reservation is HELD and payments has no row: InventoryReserved looks lost too.
    fails: [4, 6],
  },
  {
    name: 'a confirmed order whose payment was refunded',
    invariant: 4,
    code: 'confirmed-not-charged',
    seed: (snapshot, ids) => {
      const payment = rowOf(snapshot, 'payments', `PAYMENT#${ids.confirmed}`);
      Object.assign(payment, { status: 'REFUNDED', history: [...historyOf(payment), { status: 'REFUNDED', at: ago(500), reason: 'OrderCancelled', eventId: nextId() }] });
      return ids.confirmed;
    },
  },
  {
    name: 'a confirmed order charged another amount than its total',
    invariant: 4,
    code: 'charge-differs-from-total',
    seed: (snapshot, ids) => {
      rowOf(snapshot, 'payments', `PAYMENT#${ids.confirmed}`).amount = { amountCents: 1, currency: 'USD' };
      return ids.confirmed;
    },
  },
  {
    name: 'a cancelled order whose payment is still authorized',
    invariant: 4,
    code: 'cancelled-still-charged',
    seed: (snapshot, ids) => {
      const payment = rowOf(snapshot, 'payments', `PAYMENT#${ids.refunded}`);
      Object.assign(payment, { status: 'AUTHORIZED', history: historyOf(payment).slice(0, 1) });
      rowOf(snapshot, 'ledger', `AUTH#${ids.refunded}`).status = 'AUTHORIZED';
      return ids.refunded;
    },
    // The provider holds the money too: invariant 8's.
    fails: [4, 8],
  },
  {
    name: 'a cancelled order whose refund never reached the provider',
    invariant: 8,
    code: 'cancelled-holds-money',
    seed: (snapshot, ids) => {
      rowOf(snapshot, 'ledger', `AUTH#${ids.refunded}`).status = 'AUTHORIZED';
      return ids.refunded;
    },
  },
  {
    name: 'an authorization the provider created after the order was cancelled, even though it was refunded',
    invariant: 8,
    code: 'authorized-after-cancel',
    seed: (snapshot, ids) => {
      // Cancelled 3 s after placement (600 s ago); a redrive authorized it 7 s later, then refunded it: the books balance.
      rowOf(snapshot, 'ledger', `AUTH#${ids.refunded}`).createdAt = ago(590);
      return ids.refunded;
    },
  },
  {
    name: 'an authorization the provider created after the saga deadline',
    invariant: 8,
    code: 'authorized-after-deadline',
    seed: (snapshot, ids) => {
      // The deadline was 300 s after placement, 300 s ago.
      rowOf(snapshot, 'ledger', `AUTH#${ids.confirmed}`).createdAt = ago(200);
      return ids.confirmed;
    },
  },
  {
    name: 'a confirmed order the provider holds no live authorization for',
    invariant: 4,
    code: 'provider-disagrees',
    seed: (snapshot, ids) => {
      rowOf(snapshot, 'ledger', `AUTH#${ids.confirmed}`).status = 'REFUNDED';
      return ids.confirmed;
    },
  },
  {
    name: 'two provider authorizations for one order',
    invariant: 5,
    code: 'provider-charged-twice',
    seed: (snapshot, ids) => {
      const second = structuredClone(rowOf(snapshot, 'ledger', `AUTH#${ids.confirmed}`));
      Object.assign(second, { pk: `AUTH#retry-${ids.confirmed}`, idempotencyKey: `retry-${ids.confirmed}`, authorizationId: 'auth_second' });
      snapshot.tables.ledger!.push(second);
      return ids.confirmed;
    },
  },
  {
    name: 'a terminal order whose customer was never notified',
    invariant: 5,
    code: 'notification-missing',
    seed: (snapshot, ids) => {
      removeRow(snapshot, 'notifications', `NOTIFICATION#${ids.declined}#CANCELLED`);
      return ids.declined;
    },
  },
  {
    name: 'a notification for a state the order never reached',
    invariant: 5,
    code: 'notification-for-unreached-state',
    seed: (snapshot, ids) => {
      const wrong = structuredClone(rowOf(snapshot, 'notifications', `NOTIFICATION#${ids.confirmed}#CONFIRMED`));
      Object.assign(wrong, { pk: `NOTIFICATION#${ids.confirmed}#CANCELLED`, state: 'CANCELLED', template: 'order-cancelled' });
      snapshot.tables.notifications!.push(wrong);
      return ids.confirmed;
    },
  },
  {
    name: 'the same notification twice',
    invariant: 5,
    code: 'notification-repeated',
    seed: (snapshot, ids) => {
      // DynamoDB cannot hold two rows under one key; a writer that keyed a second one differently can.
      const copy = structuredClone(rowOf(snapshot, 'notifications', `NOTIFICATION#${ids.confirmed}#CONFIRMED`));
      copy.pk = `NOTIFICATION#${ids.confirmed}#CONFIRMED`;
      snapshot.tables.notifications!.push(copy);
      return ids.confirmed;
    },
  },
  {
    name: 'a notification claimed and never marked sent',
    invariant: 5,
    code: 'notification-unconfirmed',
    seed: (snapshot, ids) => {
      const row = rowOf(snapshot, 'notifications', `NOTIFICATION#${ids['out-of-stock']}#CANCELLED`);
      row.status = 'SENDING';
      delete row.sentAt;
      return ids['out-of-stock'];
    },
  },
  {
    name: 'an outbox row older than the bound',
    invariant: 6,
    code: 'unpublished-outbox-row',
    seed: (snapshot, ids) => {
      snapshot.tables.payments!.push(outboxRowFor(ids.refunded, ago(121), 'PaymentRefunded'));
      return ids.refunded;
    },
  },
  {
    name: 'a message in a DLQ',
    invariant: 6,
    code: 'dead-letters',
    seed: (snapshot) => {
      snapshot.deadLetterQueues![2]!.messages = 1;
      return undefined;
    },
    subject: 'us-west-2:PaymentsConsumerDeadLetters',
  },
  {
    name: 'an order inventory never heard of',
    invariant: 6,
    code: 'reservation-missing',
    seed: (snapshot, ids) => {
      removeRow(snapshot, 'inventory', `RESERVATION#${ids['out-of-stock']}`);
      return ids['out-of-stock'];
    },
  },
  {
    name: 'a reservation payments never heard of',
    invariant: 6,
    code: 'payment-missing',
    seed: (snapshot) => {
      const builder = new SnapshotBuilder();
      const orderId = builder.saga({ outcome: 'pending', placedAgo: 200 });
      const extra = builder.build();
      snapshot.tables.orders!.push(...extra.tables.orders!);
      const row = extra.tables.orders!.find((candidate) => candidate.pk === `ORDER#${orderId}`)!;
      snapshot.tables.inventory!.push({ pk: `RESERVATION#${orderId}`, kind: 'reservation', orderId, status: 'HELD', lines: [{ sku: 'DUCK-CLASSIC', quantity: 2 }], updatedAt: ago(199), history: [{ status: 'HELD', at: ago(199), reason: 'OrderPlaced', eventId: nextId() }] });
      rowOf(snapshot, 'inventory', 'SKU#DUCK-CLASSIC').available = (rowOf(snapshot, 'inventory', 'SKU#DUCK-CLASSIC').available as number) - 2;
      expect(row.status).toBe('PENDING');
      return orderId;
    },
  },
  {
    name: 'a cancellation payments never heard of',
    invariant: 6,
    code: 'cancellation-missing-in-payments',
    seed: (snapshot, ids) => {
      removeRow(snapshot, 'payments', `PAYMENT#${ids['out-of-stock']}`);
      return ids['out-of-stock'];
    },
  },
  {
    name: 'a confirmed order moved back to cancelled',
    invariant: 7,
    code: 'illegal-transition',
    seed: (snapshot, ids) => {
      const row = order(snapshot, ids.confirmed);
      Object.assign(row, { history: [...historyOf(row), { status: 'CANCELLED', at: ago(100), reason: 'SAGA_DEADLINE', eventId: nextId() }] });
      return ids.confirmed;
    },
    // Its status still says CONFIRMED, which no longer ends its history.
  },
  {
    name: 'an order whose status is not the end of its history',
    invariant: 7,
    code: 'status-differs-from-history',
    seed: (snapshot, ids) => {
      order(snapshot, ids.declined).status = 'PENDING';
      return ids.declined;
    },
    // A PENDING order long past its deadline, with a CANCELLED notification.
    fails: [2, 5, 7],
  },
  {
    name: 'a released reservation that was taken again',
    invariant: 7,
    code: 'illegal-transition',
    seed: (snapshot, ids) => {
      const reservation = rowOf(snapshot, 'inventory', `RESERVATION#${ids.declined}`);
      Object.assign(reservation, { history: [...historyOf(reservation), { status: 'HELD', at: ago(100), reason: 'OrderPlaced', eventId: nextId() }] });
      return ids.declined;
    },
  },
  {
    name: 'a refunded payment authorized again',
    invariant: 7,
    code: 'illegal-transition',
    seed: (snapshot, ids) => {
      const payment = rowOf(snapshot, 'payments', `PAYMENT#${ids.refunded}`);
      Object.assign(payment, { history: [...historyOf(payment), { status: 'AUTHORIZED', at: ago(100), reason: 'InventoryReserved', eventId: nextId() }] });
      return ids.refunded;
    },
  },
  {
    name: 'a payment created in a state no payment starts in',
    invariant: 7,
    code: 'illegal-first-state',
    seed: (snapshot, ids) => {
      const payment = rowOf(snapshot, 'payments', `PAYMENT#${ids.refunded}`);
      payment.history = historyOf(payment).slice(1);
      return ids.refunded;
    },
  },
];

describe('audit of a system that breaks an invariant', () => {
  it.each(violations.map((violation) => [violation.name, violation] as const))('catches %s', (_, violation) => {
    const { ids, snapshot } = cleanSystem();
    const orderId = violation.seed(snapshot, ids);

    const report = audit(snapshot, auditOptions);

    expect(report.ok).toBe(false);
    expect(failing(report)).toEqual(violation.fails ?? [violation.invariant]);
    const invariant = report.invariants.find((candidate) => candidate.id === violation.invariant)!;
    expect(invariant.findings.map((finding) => finding.code)).toContain(violation.code);
    const finding = invariant.findings.find((candidate) => candidate.code === violation.code)!;
    if (orderId) {
      expect(finding.orderId).toBe(orderId);
      expect(invariant.orderIds).toContain(orderId);
    }
    if (violation.subject) expect(finding.subject).toBe(violation.subject);
    expect(finding.message.length).toBeGreaterThan(10);
  });

  it('covers every invariant with at least one seeded violation, and several for 3 to 8', () => {
    const perInvariant = new Map<InvariantId, number>();
    for (const violation of violations) perInvariant.set(violation.invariant, (perInvariant.get(violation.invariant) ?? 0) + 1);
    for (const id of [0, 1, 2] as const) expect(perInvariant.get(id)).toBeGreaterThanOrEqual(1);
    for (const id of [3, 4, 5, 6, 7, 8] as const) expect(perInvariant.get(id)).toBeGreaterThanOrEqual(3);
  });

  it('does not take a key shared by two principals for a duplicate', () => {
    const builder = new SnapshotBuilder();
    builder.saga({ outcome: 'confirmed', principal: 'alice', idempotencyKey: 'shared-key-1' });
    builder.saga({ outcome: 'confirmed', principal: 'bob', idempotencyKey: 'shared-key-1' });

    expect(failing(audit(builder.build(), auditOptions))).toEqual([]);
  });

  it('judges a PENDING order by its own deadline, within the grace', () => {
    const { ids, snapshot } = cleanSystem();
    Object.assign(order(snapshot, ids.pending), { deadline: ago(59) });

    expect(failing(audit(snapshot, auditOptions))).toEqual([]);
    expect(failing(audit(snapshot, { ...auditOptions, now: new Date(auditNow.getTime() + 2_000) }))).toEqual([2]);
  });

  it('reports each stuck order once, by id, and counts them', () => {
    const builder = new SnapshotBuilder();
    const stuck = [builder.saga({ outcome: 'pending', placedAgo: 900 }), builder.saga({ outcome: 'pending', placedAgo: 901 })];
    const report = audit(builder.build(), { ...auditOptions, outboxBound: 1_000 });

    const invariant = report.invariants.find((candidate) => candidate.id === 2)!;
    expect(invariant.violations).toBe(2);
    expect(invariant.orderIds.sort()).toEqual([...stuck].sort());
  });

  it('requires every downstream effect at once with an outbox bound of 0', () => {
    const builder = new SnapshotBuilder();
    const young = builder.saga({ outcome: 'confirmed', placedAgo: 3 });
    const snapshot = builder.build();
    removeRow(snapshot, 'notifications', `NOTIFICATION#${young}#CONFIRMED`);

    expect(failing(audit(snapshot, auditOptions))).toEqual([]);
    expect(findingsOf(audit(snapshot, { ...auditOptions, outboxBound: 0 }), 5).map((finding) => finding.orderId)).toEqual([young]);
  });

  it('names the checks an unreadable table kept from running, and runs the others', () => {
    const { ids, snapshot } = cleanSystem();
    delete snapshot.tables.payments;
    snapshot.unreadable = [{ source: 'payments', error: 'AccessDeniedException' }];
    removeRow(snapshot, 'inventory', `RESERVATION#${ids['out-of-stock']}`);

    const report = audit(snapshot, auditOptions);

    expect(failing(report)).toEqual([0, 6]);
    expect(report.invariants.find((invariant) => invariant.id === 4)!.skipped).toEqual(['needs payments']);
    expect(report.invariants.find((invariant) => invariant.id === 6)!.skipped.join()).toMatch(/reached payments: needs payments/);
    expect(findingsOf(report, 6).map((finding) => finding.orderId)).toEqual([ids['out-of-stock']]);
  });

  it('skips, and says so, the provider checks when no ledger was read (a real provider)', () => {
    const { ids, snapshot } = cleanSystem();
    delete snapshot.tables.ledger;
    rowOf(snapshot, 'payments', `PAYMENT#${ids.confirmed}`).authorizationId = 'auth_other';

    const report = audit(snapshot, auditOptions);

    expect(report.ok).toBe(true);
    expect(report.invariants.find((invariant) => invariant.id === 4)!.skipped.join()).toMatch(/no ledger/);
    expect(report.counts.ledgerAuthorizations).toBeUndefined();
  });
});
