import * as z from 'zod';
import { defineEvent } from '../envelope';
import { customerIdSchema, moneySchema, orderIdSchema, orderLineSchema, orderLines } from '../primitives';

/** An order was accepted by the API. Starts the saga. */
export const OrderPlaced = defineEvent({
  producer: 'orders',
  detailType: 'OrderPlaced',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    customerId: customerIdSchema,
    lines: orderLines(orderLineSchema),
    total: moneySchema,
    /** When the saga gives up: still PENDING then, the order is cancelled (SAGA_DEADLINE) and everything done for it is compensated. */
    deadline: z.iso.datetime(),
  }),
});
