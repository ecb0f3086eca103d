import * as z from 'zod';
import { defineEvent } from '../envelope';
import { orderIdSchema, orderLines, skuSchema } from '../primitives';

/** A reservation was given back to available stock (compensation of InventoryReserved). */
export const InventoryReleased = defineEvent({
  producer: 'inventory',
  detailType: 'InventoryReleased',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    lines: orderLines(z.object({ sku: skuSchema, quantity: z.number().int().positive() })),
  }),
});
