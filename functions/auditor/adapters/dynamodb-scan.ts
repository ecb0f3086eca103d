import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanAll } from '#shared/scan';
import type { Row } from '../domain/snapshot';

export interface ScanOptions {
  /**
   * Parallel segments (DynamoDB parallel Scan). Each segment is a sequential
   * walk of its share of the table, so segments are what make a large table
   * read in time. @default 4
   */
  segments?: number;
  /** Items per page; DynamoDB caps a page at 1 MB anyway. @default unset */
  pageSize?: number;
}

/**
 * Every item of a table: `segments` paginated Scans in parallel, strongly
 * consistent (the auditor must not call a committed write missing).
 */
export async function scanTable(client: Pick<DynamoDBDocumentClient, 'send'>, tableName: string, options: ScanOptions = {}): Promise<Row[]> {
  const totalSegments = Math.max(1, options.segments ?? 4);
  const segments = await Promise.all(
    Array.from({ length: totalSegments }, (_, segment) =>
      scanAll(client, {
        TableName: tableName,
        ConsistentRead: true,
        ...(totalSegments > 1 ? { Segment: segment, TotalSegments: totalSegments } : {}),
        ...(options.pageSize ? { Limit: options.pageSize } : {}),
      }),
    ),
  );
  return segments.flat();
}
