import * as z from 'zod';
import { defineEvent } from '../envelope';
import { cancellationReasonSchema, customerIdSchema, orderIdSchema } from '../primitives';

/** The order will not be fulfilled. Every context compensates what it did for it. */
export const OrderCancelled = defineEvent({
  producer: 'orders',
  detailType: 'OrderCancelled',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    customerId: customerIdSchema,
    reason: cancellationReasonSchema,
  }),
});
