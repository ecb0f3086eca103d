import * as z from 'zod';
import { defineEvent } from '../envelope';
import { customerIdSchema, moneySchema, orderIdSchema, orderLines, skuSchema } from '../primitives';

/**
 * Stock for every line is held for the order. Carries the amount to charge so
 * that payments needs no call back into orders (event-carried state transfer).
 */
export const InventoryReserved = defineEvent({
  producer: 'inventory',
  detailType: 'InventoryReserved',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    customerId: customerIdSchema,
    lines: orderLines(z.object({ sku: skuSchema, quantity: z.number().int().positive() })),
    total: moneySchema,
  }),
});
