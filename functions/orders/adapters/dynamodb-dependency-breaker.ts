import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { breakerKey, readBreakerItem, type BreakerView } from '#contracts/dependency-breaker';
import { documentClient } from '#shared/aws-clients';

/**
 * A dependency's shared breaker as the orders API sees it: read only (the
 * payments consumer opens and closes it), one GetItem. A missing or
 * malformed item is a closed breaker (`readBreakerItem`); a failed read
 * rejects, and the admission cache turns that into "unknown", which sheds
 * nothing.
 */
export function dynamoDbBreakerReader(tableName: string, dependency: string, client: Pick<DynamoDBDocumentClient, 'send'> = documentClient()): () => Promise<BreakerView> {
  return async () => {
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: breakerKey(dependency) }));
    return readBreakerItem(Item);
  };
}
