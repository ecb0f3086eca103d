import * as z from 'zod';
import { defineEvent } from '../envelope';
import { orderIdSchema } from '../primitives';

/**
 * The reason payments gives when it declined by itself because the saga
 * deadline was too close to ask the provider: orders then cancels for the
 * deadline (SAGA_DEADLINE), which is what happened, not for a refused card.
 */
export const deadlinePassedDeclineReason = 'DEADLINE_PASSED';

/** The provider refused the charge, or payments declined it for the deadline; nothing was charged. */
export const PaymentDeclined = defineEvent({
  producer: 'payments',
  detailType: 'PaymentDeclined',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    reason: z.string().min(1),
  }),
});
