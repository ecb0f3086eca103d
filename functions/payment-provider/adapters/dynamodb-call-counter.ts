import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/aws-clients';
import type { CallCounter } from '../domain/ports';

/** The ledger row that counts the requests the simulator received; the auditor reads only `AUTH#` rows. */
export const callCounterKey = { pk: 'STATS#calls' } as const;

/**
 * Counts every merchant request in one ledger row, with an atomic ADD per
 * request (a counter in memory would be per execution environment). The
 * chaos experiment reads it to compute retry amplification: provider calls,
 * failed ones included, per order (cli/chaos/provider-calls.ts).
 */
export function dynamoDbCallCounter(tableName: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): CallCounter {
  return {
    async record(operation) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: callCounterKey,
          UpdateExpression: 'ADD #total :one, #operation :one',
          ExpressionAttributeNames: { '#total': 'total', '#operation': operation },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    },
  };
}
