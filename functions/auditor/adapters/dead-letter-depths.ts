import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterDepth } from '../domain/snapshot';

export interface DeadLetterQueueSource {
  region: string;
  /** Construct name, e.g. `InventoryConsumerDeadLetters`. */
  name: string;
  url: string;
}

/** Visible plus in-flight messages: a message someone is looking at is still not applied. */
export async function deadLetterDepths(queues: readonly DeadLetterQueueSource[], sqsIn: (region: string) => Pick<SQSClient, 'send'>): Promise<DeadLetterDepth[]> {
  return Promise.all(
    queues.map(async ({ region, name, url }) => {
      const { Attributes = {} } = await sqsIn(region).send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return { region, name, messages: Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) };
    }),
  );
}
