import * as z from 'zod';
import { customerIdSchema, maxOrderLines, orderLines, skuSchema } from './primitives';

/** Limits of the orders API, each with its reason. */
export const apiLimits = {
  /** Keeps the order row plus its history far below DynamoDB's 400 KB item limit. */
  maxBodyBytes: 16 * 1024,
  maxLines: maxOrderLines,
  maxQuantityPerLine: 100,
  idempotencyKeyPattern: /^[A-Za-z0-9._:-]{8,128}$/,
} as const;

/** Body of `POST /orders`. Strict: an unknown field is a client bug worth reporting. */
export const placeOrderRequestSchema = z
  .object({
    customerId: customerIdSchema,
    items: orderLines(
      z
        .object({
          sku: skuSchema,
          quantity: z.number().int().positive().max(apiLimits.maxQuantityPerLine),
        })
        .strict(),
    ),
  })
  .strict();
export type PlaceOrderRequest = z.infer<typeof placeOrderRequestSchema>;

/** RFC 9457 problem details, the body of every 4xx/5xx of the API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}
