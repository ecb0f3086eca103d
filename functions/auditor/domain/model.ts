import type * as z from 'zod';
import { outboxKeyPrefix } from '#contracts/outbox';
import type { Finding } from './report';
import {
  claimRowSchema,
  ledgerRowSchema,
  notificationRowSchema,
  orderRowSchema,
  outboxRowSchema,
  paymentRowSchema,
  reservationRowSchema,
  stockRowSchema,
  type ClaimRow,
  type LedgerRow,
  type NotificationRow,
  type OrderRow,
  type OutboxRow,
  type PaymentRow,
  type ReservationRow,
  type StockRow,
} from './rows';
import type { AuditSnapshot, DeadLetterDepth, Row, SourceName } from './snapshot';

/** The snapshot parsed and indexed by what the checks look things up by. */
export interface Model {
  orders: Map<string, OrderRow>;
  claims: ClaimRow[];
  skus: Map<string, StockRow>;
  reservations: Map<string, ReservationRow>;
  payments: Map<string, PaymentRow>;
  /** By order id; normally one row per terminal state. */
  notifications: Map<string, NotificationRow[]>;
  /** By order id; undefined when no ledger was read. */
  ledger: Map<string, LedgerRow[]> | undefined;
  outbox: { source: SourceName; row: OutboxRow }[];
  deadLetterQueues: DeadLetterDepth[] | undefined;
  /** Tables that were read. */
  read: Set<SourceName>;
  /** Findings of invariant 0: unreadable tables, rows that fail their schema. */
  problems: Finding[];
  /** Keys of rows that exist but failed their schema: not "missing" to the other checks, only unreadable. */
  unparsed: Set<string>;
}

type Kind = { prefix: string; schema: z.ZodType; add: (row: never) => string | undefined };

const describeIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(row)'}: ${issue.message}`)
    .join('; ');

/** The order a broken row is about, if its key or attributes say so. */
function orderIdOf(row: Row): string | undefined {
  if (typeof row.orderId === 'string') return row.orderId;
  if (typeof row.correlationId === 'string') return row.correlationId;
  const match = typeof row.pk === 'string' ? /^(?:ORDER|RESERVATION|PAYMENT|NOTIFICATION)#([^#]+)/.exec(row.pk) : null;
  return match?.[1];
}

export function buildModel(snapshot: AuditSnapshot): Model {
  const model: Model = {
    orders: new Map(),
    claims: [],
    skus: new Map(),
    reservations: new Map(),
    payments: new Map(),
    notifications: new Map(),
    ledger: snapshot.tables.ledger ? new Map() : undefined,
    outbox: [],
    deadLetterQueues: snapshot.deadLetterQueues,
    read: new Set(Object.keys(snapshot.tables) as SourceName[]),
    unparsed: new Set(),
    problems: (snapshot.unreadable ?? []).map(({ source, error }) => ({ invariant: 0, code: 'unreadable-table', subject: source, message: `${source} could not be read: ${error}` })),
  };

  /** A unique key per row kind; a second row under one key can only come from a broken writer or a hand-made snapshot. */
  const keyed = <T>(map: Map<string, T>, key: string, row: T): string | undefined => {
    if (map.has(key)) return `a second row for ${key}`;
    map.set(key, row);
    return undefined;
  };
  const grouped = <T>(map: Map<string, T[]>, key: string, row: T): undefined => {
    map.set(key, [...(map.get(key) ?? []), row]);
    return undefined;
  };

  const outboxOf = (source: SourceName): Kind => ({ prefix: outboxKeyPrefix, schema: outboxRowSchema, add: (row: OutboxRow) => void model.outbox.push({ source, row }) });
  const kinds: Record<SourceName, Kind[]> = {
    orders: [
      { prefix: 'ORDER#', schema: orderRowSchema, add: (row: OrderRow) => keyed(model.orders, row.orderId, row) },
      { prefix: 'IDEMPOTENCY-KEY#', schema: claimRowSchema, add: (row: ClaimRow) => void model.claims.push(row) },
      outboxOf('orders'),
    ],
    inventory: [
      { prefix: 'SKU#', schema: stockRowSchema, add: (row: StockRow) => keyed(model.skus, row.sku, row) },
      { prefix: 'RESERVATION#', schema: reservationRowSchema, add: (row: ReservationRow) => keyed(model.reservations, row.orderId, row) },
      outboxOf('inventory'),
    ],
    payments: [{ prefix: 'PAYMENT#', schema: paymentRowSchema, add: (row: PaymentRow) => keyed(model.payments, row.orderId, row) }, outboxOf('payments')],
    notifications: [{ prefix: 'NOTIFICATION#', schema: notificationRowSchema, add: (row: NotificationRow) => grouped(model.notifications, row.orderId, row) }, outboxOf('notifications')],
    ledger: [{ prefix: 'AUTH#', schema: ledgerRowSchema, add: (row: LedgerRow) => grouped(model.ledger!, row.orderId, row) }],
  };

  for (const [source, rows] of Object.entries(snapshot.tables) as [SourceName, Row[]][]) {
    for (const row of rows) {
      const pk = row.pk;
      const kind = typeof pk === 'string' ? kinds[source].find((candidate) => pk.startsWith(candidate.prefix)) : undefined;
      if (typeof pk !== 'string') {
        model.problems.push({ invariant: 0, code: 'invalid-row', subject: `${source}:(no pk)`, message: `a ${source} row has no string pk` });
        continue;
      }
      if (!kind) continue;
      const parsed = kind.schema.safeParse(row);
      const orderId = orderIdOf(row);
      if (!parsed.success) {
        model.unparsed.add(pk);
        model.problems.push({ invariant: 0, code: 'invalid-row', subject: `${source}:${pk}`, ...(orderId ? { orderId } : {}), message: `${source} row ${pk} does not match its schema: ${describeIssues(parsed.error)}` });
        continue;
      }
      const duplicate = kind.add(parsed.data as never);
      if (duplicate) model.problems.push({ invariant: 0, code: 'duplicate-row', subject: `${source}:${pk}`, ...(orderId ? { orderId } : {}), message: `${source} holds ${duplicate}` });
    }
  }
  return model;
}
