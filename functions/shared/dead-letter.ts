import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from './aws-clients';
import { logger } from './powertools';

/** Message attributes every dead-lettered message carries, so an operator sees why without reading logs. */
export const deadLetterAttributes = {
  reason: 'duckstore-reason',
  component: 'duckstore-component',
  failedAt: 'duckstore-failed-at',
} as const;

/**
 * Moves a message that can never succeed straight to a DLQ with the reason
 * attached. Used for permanent failures (a poison message, an invalid outbox
 * row): retrying them would only delay the records behind them.
 */
export async function deadLetter(queueUrl: string, message: { body: string; reason: string; component: string }): Promise<void> {
  logger.error('dead-lettering a message that cannot succeed', { reason: message.reason, component: message.component });
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.body,
      MessageAttributes: {
        [deadLetterAttributes.reason]: { DataType: 'String', StringValue: message.reason.slice(0, 4_000) },
        [deadLetterAttributes.component]: { DataType: 'String', StringValue: message.component },
        [deadLetterAttributes.failedAt]: { DataType: 'String', StringValue: new Date().toISOString() },
      },
    }),
  );
}
