import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

/**
 * A document client that records each command and answers from a script, one
 * answer per call (then `{}`): enough to pin what an adapter asks DynamoDB for
 * and how it reads the answers, without AWS.
 */
export function scriptedClient(script: ((command: SentCommand) => unknown)[] = []) {
  const sent: SentCommand[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const entry = { name: command.constructor.name, input: command.input };
      sent.push(entry);
      const next = script.shift();
      return next ? next(entry) : {};
    },
  } as unknown as Pick<DynamoDBDocumentClient, 'send'>;
  return { client, sent };
}

export const throws = (error: Error) => () => {
  throw error;
};

/** What DynamoDB throws when a transaction is cancelled: one reason code per item, in item order. */
export function transactionCancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: `Transaction cancelled [${codes.join(', ')}]`, $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
}
