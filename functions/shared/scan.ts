import { ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Every item a Scan returns, page after page (LastEvaluatedKey). Followed by
 * hand rather than with the SDK paginator, which accepts only a real
 * DocumentClient and so no recording fake in tests.
 */
export async function scanAll(client: Pick<DynamoDBDocumentClient, 'send'>, input: Omit<ScanCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
