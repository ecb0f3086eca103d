import { z } from 'zod';
import { defineEvent } from '../envelope';
import { customerIdSchema, moneySchema, orderIdSchema, orderLineSchema } from '../primitives';

/** An order was accepted by the API. Starts the saga. */
export const OrderPlaced = defineEvent({
  producer: 'orders',
  detailType: 'OrderPlaced',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    customerId: customerIdSchema,
    lines: z.array(orderLineSchema).min(1),
    total: moneySchema,
  }),
});
