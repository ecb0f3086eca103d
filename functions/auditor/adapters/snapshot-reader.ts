import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { AuditSnapshot, Row, SourceName } from '../domain/snapshot';
import { sourceNames } from '../domain/snapshot';
import { deadLetterDepths } from './dead-letter-depths';
import { scanTable, type ScanOptions } from './dynamodb-scan';

export const auditSourcesSchema = z.object({
  /** Each context's state table (and the simulator's ledger) with the region it lives in. */
  tables: z.partialRecord(z.enum(sourceNames), z.object({ region: z.string().min(1), tableName: z.string().min(1) })),
  /** Every DLQ to check; absent: the DLQ check is skipped. */
  deadLetterQueues: z.array(z.object({ region: z.string().min(1), name: z.string().min(1), url: z.string().min(1) })).optional(),
});
export type AuditSources = z.infer<typeof auditSourcesSchema>;

/** SDK clients per region, made once: tables of both regions are read in one audit. */
export interface RegionalClients {
  documents(region: string): Pick<DynamoDBDocumentClient, 'send'>;
  sqs(region: string): Pick<SQSClient, 'send'>;
}

/** What an SDK client needs to reach one region: an endpoint and credentials for an emulator, nothing more on AWS. */
export interface RegionConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function regionalClients(configFor: (region: string) => RegionConfig, wrap: <T>(client: T) => T = (client) => client): RegionalClients & { destroy(): void } {
  const documents = new Map<string, DynamoDBDocumentClient>();
  const queues = new Map<string, SQSClient>();
  return {
    documents(region) {
      let client = documents.get(region);
      if (!client) documents.set(region, (client = DynamoDBDocumentClient.from(wrap(new DynamoDBClient(configFor(region))))));
      return client;
    },
    sqs(region) {
      let client = queues.get(region);
      if (!client) queues.set(region, (client = wrap(new SQSClient(configFor(region)))));
      return client;
    },
    destroy() {
      for (const client of [...documents.values(), ...queues.values()]) client.destroy();
    },
  };
}

const messageOf = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * Reads every table and DLQ depth in parallel. A source that cannot be read
 * (a region down, a missing grant) is reported in the snapshot as unreadable
 * instead of failing the whole audit: the other invariants are still checked.
 */
export function snapshotReader(sources: AuditSources, clients: RegionalClients, scan: ScanOptions = {}): () => Promise<AuditSnapshot> {
  return async () => {
    const unreadable: { source: string; error: string }[] = [];
    const tables: Partial<Record<SourceName, Row[]>> = {};
    const reads = (Object.entries(sources.tables) as [SourceName, { region: string; tableName: string }][]).map(async ([source, { region, tableName }]) => {
      try {
        tables[source] = await scanTable(clients.documents(region), tableName, scan);
      } catch (error) {
        unreadable.push({ source: `${source} (${tableName} in ${region})`, error: messageOf(error) });
      }
    });
    const depths = sources.deadLetterQueues
      ? deadLetterDepths(sources.deadLetterQueues, (region) => clients.sqs(region)).catch((error: unknown) => {
          unreadable.push({ source: 'dead-letter queues', error: messageOf(error) });
          return undefined;
        })
      : Promise.resolve(undefined);
    const [deadLetterQueues] = await Promise.all([depths, ...reads]);
    return { tables, ...(deadLetterQueues ? { deadLetterQueues } : {}), ...(unreadable.length > 0 ? { unreadable } : {}) };
  };
}
