import * as z from 'zod';

export const orderIdSchema = z.uuid();
export const customerIdSchema = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
export const skuSchema = z.string().min(1).max(32).regex(/^[A-Z0-9-]+$/, 'upper-case letters, digits and - only');

/** Money is integer minor units (cents) with an ISO currency, never a float. */
export const moneySchema = z.object({
  amountCents: z.number().int().nonnegative(),
  currency: z.literal('USD'),
});
export type Money = z.infer<typeof moneySchema>;

/**
 * Inventory reserves every line of an order in one TransactWriteItems (100
 * actions at most) next to its own rows, so an order has at most 25 lines, and
 * each SKU once (a transaction cannot touch one item twice).
 */
export const maxOrderLines = 25;

/** The limits every list of order lines obeys, in the API request and in the events alike. */
export const orderLines = <T extends z.ZodType<{ sku: string }>>(line: T) =>
  z
    .array(line)
    .min(1)
    .max(maxOrderLines)
    .refine((lines) => new Set(lines.map((entry) => entry.sku)).size === lines.length, { message: 'each sku may appear only once; add up the quantities' });

export const orderLineSchema = z.object({
  sku: skuSchema,
  quantity: z.number().int().positive(),
  unitPriceCents: z.number().int().nonnegative(),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const orderStatuses = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const cancellationReasons = ['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'SAGA_DEADLINE'] as const;
export const cancellationReasonSchema = z.enum(cancellationReasons);
export type CancellationReason = z.infer<typeof cancellationReasonSchema>;
