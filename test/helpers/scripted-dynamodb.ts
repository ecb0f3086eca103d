import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
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

/** A script step that fails the call, as the SDK throws a service error. */
export const throws = (error: unknown) => () => {
  throw error;
};

/**
 * What DynamoDB throws when a transaction is cancelled: one reason per item, in
 * item order. `undefined` stands for a reason without a code, which DynamoDB
 * may send for an item that did not fail.
 */
export function transactionCancelled(...codes: (string | undefined)[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code): CancellationReason => (Code === undefined ? {} : { Code, ...(Code === 'None' ? {} : { Message: `fake ${Code}` }) })),
  });
}
