import { ListStackResourcesCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import * as z from 'zod';
import { sourceNames, type SourceName } from '../domain/snapshot';

/**
 * A table of this stack is known by name. A table of another region's stack
 * has a name CloudFormation generated in a deployment this stack cannot
 * reference (there are no cross-region references between the region
 * stacks), so it is known by its stack and the prefix of its logical id, and
 * found through CloudFormation at run time, as the operator CLI finds it.
 */
export const tableRefSchema = z.union([
  z.object({ region: z.string().min(1), tableName: z.string().min(1) }),
  z.object({ region: z.string().min(1), stackName: z.string().min(1), logicalIdPrefix: z.string().min(1) }),
]);
export type TableRef = z.infer<typeof tableRefSchema>;
export const tableRefsSchema = z.partialRecord(z.enum(sourceNames), tableRefSchema);

export class TableNotFoundError extends Error {
  override readonly name = 'TableNotFoundError';
}

export interface ResolvedTables {
  tables: Partial<Record<SourceName, { region: string; tableName: string }>>;
  /** References that could not be resolved (the other region down, the stack missing): unreadable, not fatal. */
  unresolved: { source: string; error: string }[];
}

/** Resolves every reference to a table name; a stack's resources are listed once per call. */
export async function resolveTables(refs: Partial<Record<SourceName, TableRef>>, cloudFormation: (region: string) => Pick<CloudFormationClient, 'send'>): Promise<ResolvedTables> {
  const listings = new Map<string, Promise<{ type: string; logicalId: string; physicalId: string }[]>>();
  const list = (region: string, stackName: string) => {
    const key = `${region}/${stackName}`;
    if (!listings.has(key)) {
      listings.set(
        key,
        (async () => {
          // Pages followed by hand: the SDK paginator accepts only a real client, not a test's fake.
          const resources = [];
          let nextToken: string | undefined;
          do {
            const page = await cloudFormation(region).send(new ListStackResourcesCommand({ StackName: stackName, ...(nextToken ? { NextToken: nextToken } : {}) }));
            for (const resource of page.StackResourceSummaries ?? []) resources.push({ type: resource.ResourceType ?? '', logicalId: resource.LogicalResourceId ?? '', physicalId: resource.PhysicalResourceId ?? '' });
            nextToken = page.NextToken;
          } while (nextToken);
          return resources;
        })(),
      );
    }
    return listings.get(key)!;
  };
  const resolved: ResolvedTables = { tables: {}, unresolved: [] };
  await Promise.all(
    (Object.entries(refs) as [SourceName, TableRef][]).map(async ([source, ref]) => {
      if ('tableName' in ref) {
        resolved.tables[source] = ref;
        return;
      }
      try {
        const found = (await list(ref.region, ref.stackName)).filter((resource) => resource.type === 'AWS::DynamoDB::Table' && resource.logicalId.startsWith(ref.logicalIdPrefix));
        if (found.length !== 1) throw new TableNotFoundError(`expected one table ${ref.logicalIdPrefix}* in stack ${ref.stackName}, found ${found.length}`);
        resolved.tables[source] = { region: ref.region, tableName: found[0]!.physicalId };
      } catch (error) {
        resolved.unresolved.push({ source: `${source} (stack ${ref.stackName} in ${ref.region})`, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
    }),
  );
  return resolved;
}
