import * as z from 'zod';
import { defineEvent } from '../envelope';
import { moneySchema, orderIdSchema } from '../primitives';

/** An authorization was voided or refunded (compensation of PaymentAuthorized). */
export const PaymentRefunded = defineEvent({
  producer: 'payments',
  detailType: 'PaymentRefunded',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    authorizationId: z.string().min(1),
    amount: moneySchema,
  }),
});
