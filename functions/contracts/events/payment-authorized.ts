import * as z from 'zod';
import { defineEvent } from '../envelope';
import { moneySchema, orderIdSchema } from '../primitives';

/** The provider authorized the charge for the order. */
export const PaymentAuthorized = defineEvent({
  producer: 'payments',
  detailType: 'PaymentAuthorized',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    authorizationId: z.string().min(1),
    amount: moneySchema,
  }),
});
