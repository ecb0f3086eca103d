import * as z from 'zod';

/**
 * The outbox row: the contract between every context that writes events (in
 * the same transaction as its state) and the relay that publishes them. The
 * relay's stream filter in the CDK app matches `kind` too.
 */
export const outboxKeyPrefix = 'OUTBOX#';
export const outboxKind = 'outbox';

export const outboxRowSchema = z.object({
  pk: z.string().startsWith(outboxKeyPrefix),
  kind: z.literal(outboxKind),
  eventId: z.uuid(),
  source: z.string().min(1),
  detailType: z.string().min(1),
  /** The EventBridge detail, serialized once by the writer and published byte for byte. */
  detail: z.string().min(2),
  correlationId: z.string().min(1),
  createdAt: z.iso.datetime(),
  expiresAt: z.number().int(),
});
export type OutboxRow = z.infer<typeof outboxRowSchema>;
