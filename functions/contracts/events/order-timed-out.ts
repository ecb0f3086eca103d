import * as z from 'zod';
import { defineEvent } from '../envelope';
import { orderIdSchema } from '../primitives';

/**
 * The order's saga deadline passed. A timer that orders sets for itself when
 * the order is placed, not a fact other contexts act on: it reaches only the
 * orders consumer, which cancels the order if it is still PENDING (and ignores
 * it otherwise). Its eventId is derived from the order id, so every delivery
 * of it (a double fire, the sweeper's copy, a redrive) is the same event.
 */
export const OrderTimedOut = defineEvent({
  producer: 'orders',
  detailType: 'OrderTimedOut',
  version: 1,
  data: z.object({
    orderId: orderIdSchema,
    /** The deadline that passed, as it was set when the order was placed. */
    deadline: z.iso.datetime(),
  }),
});
