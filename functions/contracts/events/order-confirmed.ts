import * as z from 'zod';
import { defineEvent } from '../envelope';
import { customerIdSchema, moneySchema, orderIdSchema } from '../primitives';

/** Stock is reserved and payment authorized: the order is final. */
export const OrderConfirmed = defineEvent({
  producer: 'orders',
  detailType: 'OrderConfirmed',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    customerId: customerIdSchema,
    total: moneySchema,
  }),
});
