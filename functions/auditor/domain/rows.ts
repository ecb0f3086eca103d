import * as z from 'zod';
import { outboxRowSchema } from '#contracts/outbox';
import { moneySchema, orderStatuses } from '#contracts/primitives';
import { reservationStatuses } from '../../inventory/domain/reservation';
import { notificationStatuses, terminalStates } from '../../notifications/domain/notification';
import { authorizationStatuses } from '../../payment-provider/domain/authorization';
import { paymentStatuses } from '../../payments/domain/payment';

/**
 * The rows the auditor reads, as each context's adapter writes them. Every
 * schema is a tolerant reader: unknown attributes are dropped, so a context
 * may add fields without breaking the auditor; what the checks rely on is
 * required. Status lists come from the contexts themselves, so a new status
 * is a type error here rather than a silent "invalid row" in production.
 * Quantities are plain integers (not positive): a negative stock is a
 * violation to report with its numbers, not a row to discard.
 */
const at = z.iso.datetime({ offset: true });

const historyOf = <S extends readonly [string, ...string[]]>(statuses: S) =>
  z.array(z.object({ status: z.enum(statuses), at, reason: z.string(), eventId: z.string().optional() }));

/** `deadline` is being added to order rows; an ISO date or epoch seconds/milliseconds are all accepted. */
const deadlineSchema = z.union([at, z.number()]).transform((value) => (typeof value === 'string' ? Date.parse(value) : value < 1e11 ? value * 1000 : value));

export const orderRowSchema = z
  .object({
    pk: z.string(),
    orderId: z.string().min(1),
    customerId: z.string(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), unitPriceCents: z.number().int() })),
    total: moneySchema,
    status: z.enum(orderStatuses),
    idempotencyKey: z.string().min(1),
    /** Who placed it (the JWT subject); rows written before it existed lack it. */
    principal: z.string().min(1).optional(),
    /** Epoch milliseconds after parsing. */
    deadline: deadlineSchema.optional(),
    createdAt: at,
    updatedAt: at,
    cancellationReason: z.string().optional(),
    history: historyOf(orderStatuses).min(1),
  })
  .refine((row) => row.pk === `ORDER#${row.orderId}`, { message: 'pk does not name the orderId', path: ['pk'] });
export type OrderRow = z.infer<typeof orderRowSchema>;

/** `IDEMPOTENCY-KEY#<principal>#<key>`: the key never contains `#` (API pattern), the principal may. */
export const claimRowSchema = z
  .object({ pk: z.string(), orderId: z.string().min(1), requestHash: z.string() })
  .transform((row, context) => {
    const scoped = row.pk.slice('IDEMPOTENCY-KEY#'.length);
    const split = scoped.lastIndexOf('#');
    if (split <= 0) {
      context.addIssue({ code: 'custom', message: 'pk is not IDEMPOTENCY-KEY#<principal>#<key>', path: ['pk'] });
      return z.NEVER;
    }
    return { ...row, principal: scoped.slice(0, split), idempotencyKey: scoped.slice(split + 1) };
  });
export type ClaimRow = z.infer<typeof claimRowSchema>;

export const stockRowSchema = z
  .object({
    pk: z.string(),
    sku: z.string().min(1),
    available: z.number().int(),
    /** Total stock ever received; maintained by `setStock`. Rows written before it existed lack it. */
    received: z.number().int().optional(),
  })
  .refine((row) => row.pk === `SKU#${row.sku}`, { message: 'pk does not name the sku', path: ['pk'] });
export type StockRow = z.infer<typeof stockRowSchema>;

export const reservationRowSchema = z
  .object({
    pk: z.string(),
    orderId: z.string().min(1),
    status: z.enum(reservationStatuses),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    updatedAt: at,
    history: historyOf(reservationStatuses).optional(),
  })
  .refine((row) => row.pk === `RESERVATION#${row.orderId}`, { message: 'pk does not name the orderId', path: ['pk'] });
export type ReservationRow = z.infer<typeof reservationRowSchema>;

export const paymentRowSchema = z
  .object({
    pk: z.string(),
    orderId: z.string().min(1),
    status: z.enum(paymentStatuses),
    authorizationId: z.string().optional(),
    amount: moneySchema.optional(),
    declineReason: z.string().optional(),
    updatedAt: at,
    history: historyOf(paymentStatuses).min(1),
  })
  .refine((row) => row.pk === `PAYMENT#${row.orderId}`, { message: 'pk does not name the orderId', path: ['pk'] });
export type PaymentRow = z.infer<typeof paymentRowSchema>;

export const notificationRowSchema = z
  .object({
    pk: z.string(),
    orderId: z.string().min(1),
    state: z.enum(terminalStates),
    status: z.enum(notificationStatuses),
    createdAt: at,
    sentAt: at.optional(),
  })
  .refine((row) => row.pk === `NOTIFICATION#${row.orderId}#${row.state}`, { message: 'pk does not name the orderId and state', path: ['pk'] });
export type NotificationRow = z.infer<typeof notificationRowSchema>;

/** The provider simulator's ledger: one `AUTH#<idempotencyKey>` row per authorization it made. */
export const ledgerRowSchema = z.object({
  pk: z.string(),
  orderId: z.string().min(1),
  idempotencyKey: z.string(),
  amountCents: z.number().int(),
  currency: z.string(),
  status: z.enum(authorizationStatuses),
  authorizationId: z.string(),
  createdAt: at,
});
export type LedgerRow = z.infer<typeof ledgerRowSchema>;

export { outboxRowSchema };
export type OutboxRow = z.infer<typeof outboxRowSchema>;
