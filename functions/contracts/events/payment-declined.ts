import * as z from 'zod';
import { defineEvent } from '../envelope';
import { orderIdSchema } from '../primitives';

/** The provider refused the charge; nothing was charged. */
export const PaymentDeclined = defineEvent({
  producer: 'payments',
  detailType: 'PaymentDeclined',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    reason: z.string().min(1),
  }),
});
