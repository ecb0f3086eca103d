import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Deployment } from './deployment';
import { NotDeployedError } from './errors';

/**
 * The audit trail of operator actions that move data (DLQ redrives, archive
 * replays, drills): who, what, when, how many. Stored in the region's
 * `OperationsAuditLog` table (lib/constructs/operations-audit-log.ts), one per
 * region so a record sits next to the queues it is about and survives the
 * other region being down; not in a context's state table, whose rows the
 * invariant auditor reads as domain data.
 */
export interface OperationsAuditRecord {
  action: 'dlq-redrive' | 'replay' | 'drill';
  /** Who: `--actor`, else $DUCKSTORE_OPERATOR, else user@host. */
  actor: string;
  /** What: the queue, archive window or scenario. */
  subject: string;
  region: string;
  target: string;
  dryRun: boolean;
  /** How many messages/events/rows moved (or would, in a dry run). */
  count: number;
  startedAt: string;
  finishedAt: string;
  details: Record<string, unknown>;
}

export const auditLogLogicalIdPrefix = 'OperationsAuditLog';

export function actorOf(flag: string | undefined): string {
  return flag ?? process.env.DUCKSTORE_OPERATOR ?? `${userInfo().username}@${hostname()}`;
}

export function auditLogTableOf(deployment: Deployment, region: string): string {
  const stack = deployment.regions.find((candidate) => candidate.region === region);
  const table = stack?.resources.find((resource) => resource.type === 'AWS::DynamoDB::Table' && resource.logicalId.startsWith(auditLogLogicalIdPrefix));
  if (!table) throw new NotDeployedError(`no ${auditLogLogicalIdPrefix} table in ${stack?.stackName ?? region}; redeploy the stack`);
  return table.physicalId;
}

const documentsOf = (deployment: Deployment, region: string) => DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(region)), { marshallOptions: { removeUndefinedValues: true } });

/** Writes one record; returns its key. The key sorts by time. */
export async function writeAuditRecord(deployment: Deployment, record: OperationsAuditRecord): Promise<string> {
  const pk = `${record.startedAt}#${randomUUID()}`;
  await documentsOf(deployment, record.region).send(new PutCommand({ TableName: auditLogTableOf(deployment, record.region), Item: { pk, ...record }, ConditionExpression: 'attribute_not_exists(pk)' }));
  return pk;
}

/** Every record of a region, oldest first (a Scan: the log holds one row per operator action). */
export async function listAuditRecords(deployment: Deployment, region: string): Promise<(OperationsAuditRecord & { pk: string })[]> {
  const records: (OperationsAuditRecord & { pk: string })[] = [];
  for await (const page of paginateScan({ client: documentsOf(deployment, region) }, { TableName: auditLogTableOf(deployment, region), ConsistentRead: true })) {
    records.push(...((page.Items ?? []) as (OperationsAuditRecord & { pk: string })[]));
  }
  return records.sort((a, b) => a.pk.localeCompare(b.pk));
}
