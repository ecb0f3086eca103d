import { z } from 'zod';

export const orderIdSchema = z.uuid();
export const customerIdSchema = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
export const skuSchema = z.string().min(1).max(32).regex(/^[A-Z0-9-]+$/, 'upper-case letters, digits and - only');

/** Money is integer minor units (cents) with an ISO currency, never a float. */
export const moneySchema = z.object({
  amountCents: z.number().int().nonnegative(),
  currency: z.literal('USD'),
});
export type Money = z.infer<typeof moneySchema>;

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
