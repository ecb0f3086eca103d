import { catalog, type Sku } from '#contracts/catalog';
import type { AuditOptions } from '../../functions/auditor/domain/report';
import type { AuditSnapshot, Row, SourceName } from '../../functions/auditor/domain/snapshot';

/** The audit's "now"; every factory row is dated relative to it. */
export const auditNow = new Date('2026-11-25T12:00:00.000Z');
export const auditOptions: AuditOptions = { now: auditNow, outboxBound: 120, grace: 60, defaultDeadline: 300 };

/** An ISO time `seconds` before `auditNow`. */
export const ago = (seconds: number): string => new Date(auditNow.getTime() - seconds * 1000).toISOString();

let sequence = 0;
/** Deterministic, valid v4-shaped UUIDs, distinct within a test run. */
export const nextId = (): string => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;

export type Outcome = 'confirmed' | 'out-of-stock' | 'declined' | 'refunded' | 'cancelled-before-charge' | 'pending';

export interface SagaSpec {
  outcome: Outcome;
  lines?: { sku: Sku; quantity: number }[];
  /** Seconds before `auditNow` the order was placed. @default 600 */
  placedAgo?: number;
  principal?: string;
  idempotencyKey?: string;
  orderId?: string;
}

const seededStock: Record<Sku, number> = { 'DUCK-CLASSIC': 1000, 'DUCK-PIRATE': 500, 'DUCK-NINJA': 500, 'DUCK-ASTRO': 200, 'DUCK-GOLD': 20, 'DUCK-LIMITED': 3 };

export interface SnapshotBuilderOptions {
  /** What the rows are dated relative to. @default auditNow */
  now?: Date;
  /** Stock received per SKU before any saga. @default the quantities of local/seed.ts */
  initialStock?: Record<Sku, number>;
  /** @default nextId (deterministic) */
  newId?: () => string;
}

/**
 * Builds the rows a healthy system holds after a set of sagas, in the shapes
 * the context adapters write (pk and kind included), so that the auditor
 * reads exactly what it reads in production. `build()` adds the SKU rows with
 * `received` and `available` consistent with the HELD reservations.
 */
export class SnapshotBuilder {
  readonly tables: Record<SourceName, Row[]> = { orders: [], inventory: [], payments: [], notifications: [], ledger: [] };
  readonly deadLetterQueues = [
    { region: 'us-east-1', name: 'InventoryConsumerDeadLetters', messages: 0 },
    { region: 'us-east-1', name: 'OrdersRelayDeadLetters', messages: 0 },
    { region: 'us-west-2', name: 'PaymentsConsumerDeadLetters', messages: 0 },
  ];
  private readonly out = new Map<string, number>();
  private readonly now: Date;
  private readonly initialStock: Record<Sku, number>;
  private readonly newId: () => string;

  constructor(options: SnapshotBuilderOptions = {}) {
    this.now = options.now ?? auditNow;
    this.initialStock = options.initialStock ?? seededStock;
    this.newId = options.newId ?? nextId;
  }

  /** Stock each SKU has out in HELD reservations (held or sold) so far. */
  get heldBySku(): ReadonlyMap<string, number> {
    return this.out;
  }

  private ago(seconds: number): string {
    return new Date(this.now.getTime() - seconds * 1000).toISOString();
  }

  saga(spec: SagaSpec): string {
    const orderId = spec.orderId ?? this.newId();
    const ago = (seconds: number) => this.ago(seconds);
    const placedAgo = spec.placedAgo ?? 600;
    const lines = (spec.lines ?? [{ sku: 'DUCK-CLASSIC', quantity: 2 }]).map(({ sku, quantity }) => ({ sku, quantity, unitPriceCents: catalog[sku].unitPriceCents }));
    const total = { amountCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0), currency: 'USD' as const };
    const customerId = `customer-${orderId.slice(-4)}`;
    const principal = spec.principal ?? 'anonymous';
    const idempotencyKey = spec.idempotencyKey ?? `key-${orderId}`;
    const placed = ago(placedAgo);
    const step = (n: number) => ago(placedAgo - n);
    const eventId = () => this.newId();
    const terminal: Record<Outcome, { status: 'PENDING' | 'CONFIRMED' | 'CANCELLED'; reason?: string }> = {
      confirmed: { status: 'CONFIRMED' },
      'out-of-stock': { status: 'CANCELLED', reason: 'OUT_OF_STOCK' },
      declined: { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' },
      refunded: { status: 'CANCELLED', reason: 'SAGA_DEADLINE' },
      'cancelled-before-charge': { status: 'CANCELLED', reason: 'SAGA_DEADLINE' },
      pending: { status: 'PENDING' },
    };
    const { status, reason } = terminal[spec.outcome];
    const history = [{ status: 'PENDING', at: placed, reason: 'placed' }, ...(status === 'PENDING' ? [] : [{ status, at: step(3), reason: reason ?? 'PaymentAuthorized', eventId: eventId() }])];

    this.tables.orders.push(
      {
        pk: `ORDER#${orderId}`,
        kind: 'order',
        orderId,
        customerId,
        lines,
        total,
        status,
        idempotencyKey,
        principal,
        createdAt: placed,
        deadline: ago(placedAgo - 300),
        updatedAt: history.at(-1)!.at,
        ...(reason ? { cancellationReason: reason } : {}),
        history,
      },
      { pk: `IDEMPOTENCY-KEY#${principal}#${idempotencyKey}`, kind: 'idempotency-key', orderId, requestHash: 'hash', expiresAt: 2_000_000_000 },
    );

    const reservationLines = lines.map(({ sku, quantity }) => ({ sku, quantity }));
    const reservation = (statuses: string[]) => {
      const entries = statuses.map((s, index) => ({ status: s, at: step(1 + index * 3), reason: index === 0 ? 'OrderPlaced' : 'OrderCancelled', eventId: eventId() }));
      this.tables.inventory.push({ pk: `RESERVATION#${orderId}`, kind: 'reservation', orderId, status: statuses.at(-1), lines: reservationLines, updatedAt: entries.at(-1)!.at, history: entries });
      if (statuses.at(-1) === 'HELD') for (const line of reservationLines) this.out.set(line.sku, (this.out.get(line.sku) ?? 0) + line.quantity);
    };
    const payment = (statuses: string[], extra: Record<string, unknown>) => {
      const entries = statuses.map((s, index) => ({ status: s, at: step(2 + index * 2), reason: index === 0 ? 'InventoryReserved' : 'OrderCancelled', eventId: eventId() }));
      this.tables.payments.push({ pk: `PAYMENT#${orderId}`, kind: 'payment', orderId, status: statuses.at(-1), ...extra, updatedAt: entries.at(-1)!.at, history: entries });
    };
    const authorizationId = `auth_${orderId}`;
    const ledger = (ledgerStatus: 'AUTHORIZED' | 'DECLINED' | 'REFUNDED') =>
      this.tables.ledger.push({ pk: `AUTH#${orderId}`, kind: 'authorization', idempotencyKey: orderId, orderId, amountCents: total.amountCents, currency: 'USD', customerId, status: ledgerStatus, authorizationId, createdAt: step(2) });
    const notify = () => {
      if (status === 'PENDING') return;
      this.tables.notifications.push({
        pk: `NOTIFICATION#${orderId}#${status}`,
        kind: 'notification',
        orderId,
        customerId,
        state: status,
        template: status === 'CONFIRMED' ? 'order-confirmed' : 'order-cancelled',
        status: 'SENT',
        eventId: eventId(),
        createdAt: step(4),
        sentAt: step(4),
      });
    };

    switch (spec.outcome) {
      case 'confirmed':
        reservation(['HELD']);
        payment(['AUTHORIZED'], { authorizationId, amount: total });
        ledger('AUTHORIZED');
        break;
      case 'out-of-stock':
        reservation(['REJECTED']);
        payment(['CANCELLED'], {});
        break;
      case 'declined':
        reservation(['HELD', 'RELEASED']);
        payment(['DECLINED'], { amount: total, declineReason: 'LIMIT_EXCEEDED' });
        ledger('DECLINED');
        break;
      case 'refunded':
        reservation(['HELD', 'RELEASED']);
        payment(['AUTHORIZED', 'REFUNDED'], { authorizationId, amount: total });
        ledger('REFUNDED');
        break;
      case 'cancelled-before-charge':
        reservation(['HELD', 'RELEASED']);
        payment(['CANCELLED'], {});
        break;
      case 'pending':
        // Just placed: inventory and payments have not seen it yet.
        break;
    }
    notify();
    return orderId;
  }

  /** A clean system with one saga of every outcome; returns their ids by outcome. */
  everyOutcome(): Record<Exclude<Outcome, 'pending'>, string> & { pending: string } {
    return {
      confirmed: this.saga({ outcome: 'confirmed', lines: [{ sku: 'DUCK-PIRATE', quantity: 2 }, { sku: 'DUCK-CLASSIC', quantity: 1 }] }),
      'out-of-stock': this.saga({ outcome: 'out-of-stock', lines: [{ sku: 'DUCK-LIMITED', quantity: 100 }] }),
      declined: this.saga({ outcome: 'declined', lines: [{ sku: 'DUCK-GOLD', quantity: 1 }] }),
      refunded: this.saga({ outcome: 'refunded', lines: [{ sku: 'DUCK-NINJA', quantity: 1 }] }),
      'cancelled-before-charge': this.saga({ outcome: 'cancelled-before-charge', lines: [{ sku: 'DUCK-ASTRO', quantity: 3 }] }),
      pending: this.saga({ outcome: 'pending', placedAgo: 5 }),
    };
  }

  build(): AuditSnapshot {
    const skus = (Object.keys(this.initialStock) as Sku[]).map((sku) => ({
      pk: `SKU#${sku}`,
      kind: 'stock',
      sku,
      available: this.initialStock[sku] - (this.out.get(sku) ?? 0),
      received: this.initialStock[sku],
    }));
    return structuredClone({ tables: { ...this.tables, inventory: [...skus, ...this.tables.inventory] }, deadLetterQueues: this.deadLetterQueues });
  }
}

/** The row of `source` whose pk is `pk`, to change in place; throws if there is none. */
export function rowOf(snapshot: AuditSnapshot, source: SourceName, pk: string): Row {
  const row = snapshot.tables[source]?.find((candidate) => candidate.pk === pk);
  if (!row) throw new Error(`no ${source} row ${pk} in the snapshot`);
  return row;
}

export function removeRow(snapshot: AuditSnapshot, source: SourceName, pk: string): void {
  const rows = snapshot.tables[source]!;
  rows.splice(rows.indexOf(rowOf(snapshot, source, pk)), 1);
}

/** An outbox row as `functions/shared/outbox.ts` writes it. */
export function outboxRowFor(orderId: string, createdAt: string, detailType = 'OrderConfirmed'): Row {
  const eventId = nextId();
  return {
    pk: `OUTBOX#${eventId}`,
    kind: 'outbox',
    eventId,
    source: 'duckstore.orders',
    detailType,
    detail: JSON.stringify({ metadata: { eventId, type: detailType }, data: { orderId } }),
    correlationId: orderId,
    createdAt,
    expiresAt: Math.floor(Date.parse(createdAt) / 1000) + 14 * 24 * 3600,
  };
}
