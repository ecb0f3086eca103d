import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

/**
 * A document client that records what it is sent and answers from a script:
 * enough to pin the expressions and conditions an adapter writes, without AWS.
 */
export function scriptedDocumentClient(script: ((command: SentCommand) => unknown)[] = []) {
  const sent: SentCommand[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const entry = { name: command.constructor.name, input: command.input };
      sent.push(entry);
      const answer = script.shift();
      return answer ? answer(entry) : {};
    },
  } as unknown as Pick<DynamoDBDocumentClient, 'send'>;
  return { client, sent };
}

/** What DynamoDB throws when a transaction is cancelled; one code per item, in item order. */
export function transactionCancelled(codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}
