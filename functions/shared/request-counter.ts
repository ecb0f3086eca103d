/**
 * Counts the AWS requests a function's SDK clients make, for `duckstore bench`
 * (cli/bench/): one log line per request, `{"duckstoreRequest":{...}}`, with
 * the service, the operation, the attempts the SDK made (retries are billed
 * too) and, for DynamoDB, how many items of which kind the request touched.
 * It is attached only when DUCKSTORE_COUNT_REQUESTS=1 (set by the benchmark's
 * local cloud), so it costs nothing otherwise.
 */
import type { MiddlewareStack } from '@smithy/types';

export const countingRequests = process.env.DUCKSTORE_COUNT_REQUESTS === '1';

type DynamoInput = {
  TransactItems?: Record<string, unknown>[];
  RequestItems?: Record<string, unknown[] | { Keys?: unknown[] }>;
};

/** Items per kind in a DynamoDB request: `Put`, `Update`, `Delete`, `ConditionCheck` (transactions), `BatchPut`/`BatchDelete`, `BatchGet`. */
export function dynamoItems(operation: string, input: DynamoInput): Record<string, number> {
  const items: Record<string, number> = {};
  const add = (kind: string, count = 1) => (items[kind] = (items[kind] ?? 0) + count);
  if (input.TransactItems) for (const item of input.TransactItems) add(Object.keys(item)[0] ?? 'unknown');
  else if (operation === 'BatchWriteItem' && input.RequestItems) {
    for (const requests of Object.values(input.RequestItems)) for (const request of requests as Record<string, unknown>[]) add(`Batch${(Object.keys(request)[0] ?? '').replace('Request', '')}`);
  } else if (operation === 'BatchGetItem' && input.RequestItems) {
    for (const table of Object.values(input.RequestItems)) add('BatchGet', (table as { Keys?: unknown[] }).Keys?.length ?? 0);
  }
  return items;
}

interface Attempts {
  $metadata?: { attempts?: number };
}

/** Adds the counting middleware to an SDK client (any v3 client; a document client shares its client's stack), and returns the client. */
export function countRequestsOf<T extends { middlewareStack: unknown }>(client: T, service: string): T {
  // Only a middleware is added, which sees every command's input and output as plain objects.
  (client.middlewareStack as MiddlewareStack<object, object>).add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const line = (attempts: number | undefined, error?: string) => {
        const input = args.input as DynamoInput & { Entries?: unknown[] };
        const items = service === 'DynamoDB' ? dynamoItems(operation, input) : undefined;
        // PutEvents and the SQS batch calls carry entries: EventBridge bills each PutEvents entry as an event.
        const entries = Array.isArray(input.Entries) ? { entries: input.Entries.length, bytes: JSON.stringify(input.Entries).length } : {};
        console.log(
          JSON.stringify({
            duckstoreRequest: { service, operation, attempts: attempts ?? 1, ...(items && Object.keys(items).length ? { items } : {}), ...entries, ...(error ? { error } : {}), fn: process.env.AWS_LAMBDA_FUNCTION_NAME },
          }),
        );
      };
      try {
        const result = await next(args);
        line((result.output as Attempts).$metadata?.attempts);
        return result;
      } catch (error) {
        line((error as Attempts).$metadata?.attempts, (error as Error).name);
        throw error;
      }
    },
    { step: 'initialize', name: 'duckstoreRequestCounter', override: true },
  );
  return client;
}
