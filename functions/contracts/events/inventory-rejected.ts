import * as z from 'zod';
import { defineEvent } from '../envelope';
import { orderIdSchema, skuSchema } from '../primitives';

/** Not enough stock for at least one line; nothing was reserved. */
export const InventoryRejected = defineEvent({
  producer: 'inventory',
  detailType: 'InventoryRejected',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    unavailable: z.array(z.object({ sku: skuSchema, requested: z.number().int().positive() })).min(1),
  }),
});
