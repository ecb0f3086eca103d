/**
 * The cold-start floor of `duckstore bench`: the smallest useful Lambda handler,
 * one AWS SDK client created at load and one request per invocation. It is
 * bundled like every DuckStore function (esbuild, minified, CJS, node22, SDK
 * inside the bundle), so a function's ratio to it is what our code and
 * libraries (Powertools, zod, the domain) add.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export const handler = async (): Promise<{ tables: number }> => {
  const { TableNames = [] } = await client.send(new ListTablesCommand({ Limit: 1 }));
  return { tables: TableNames.length };
};
