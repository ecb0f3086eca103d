import { BatchGetCommand, BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unpublishedOutboxIndex, type OutboxRow } from '#contracts/outbox';
import { outboxShardKey } from '#shared/outbox';
import { logger } from '#shared/powertools';
import { sleep } from '#shared/retry';
import type { UnpublishedOutbox } from './sweeper';

type Client = Pick<DynamoDBDocumentClient, 'send'>;

const shards = () => Array.from({ length: unpublishedOutboxIndex.shardCount }, (_, shard) => outboxShardKey(shard));

/**
 * Sends a batch request (BatchWriteItem, BatchGetItem) until DynamoDB has
 * processed all of it: it may hand some back unprocessed under load. Backs
 * off between tries, nine at most; returns what was still unprocessed.
 */
async function untilProcessed<T>(items: T[], send: (batch: T[]) => Promise<T[]>, wait: (ms: number) => Promise<void>): Promise<T[]> {
  let pending = items;
  for (let attempt = 0; pending.length > 0 && attempt <= 8; attempt++) {
    if (attempt > 0) await wait(50 * 2 ** Math.min(attempt, 6));
    pending = await send(pending);
  }
  return pending;
}

/**
 * Deletes published outbox rows, as the relay, the sweeper and the redrive all
 * do. BatchWriteItem takes at most 25 requests.
 */
export function deleteOutboxRows(tableName: string, client: Client, wait: (ms: number) => Promise<void> = sleep): (rows: OutboxRow[]) => Promise<void> {
  return async (rows) => {
    const keys = rows.map(({ pk }) => ({ pk }));
    for (let start = 0; start < keys.length; start += 25) {
      const requests = keys.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } }));
      const left = await untilProcessed(requests, async (batch) => ((await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }))).UnprocessedItems?.[tableName] ?? []) as typeof batch, wait);
      if (left.length > 0) {
        // Leaving a published row behind is safe: the sweeper republishes it and consumers are idempotent.
        logger.warn('could not delete published outbox rows', { remaining: left.length });
        return;
      }
    }
  };
}

/**
 * The unpublished rows of a context's table, through the sparse index of
 * outbox rows by age (functions/contracts/outbox.ts): a Query per shard, so a
 * sweep costs a few reads of the few unpublished rows, not a Scan of the table.
 */
export function dynamoDbUnpublishedOutbox(tableName: string, client: Client): UnpublishedOutbox {
  const { indexName, partitionKey, sortKey } = unpublishedOutboxIndex;
  const query = (shard: string, extra: { Limit: number; cutoff?: string; ExclusiveStartKey?: Record<string, unknown> }) =>
    client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: indexName,
        KeyConditionExpression: extra.cutoff ? '#shard = :shard AND #createdAt < :cutoff' : '#shard = :shard',
        // DynamoDB refuses a name the expression does not use.
        ExpressionAttributeNames: { '#shard': partitionKey, ...(extra.cutoff ? { '#createdAt': sortKey } : {}) },
        ExpressionAttributeValues: { ':shard': shard, ...(extra.cutoff ? { ':cutoff': extra.cutoff } : {}) },
        Limit: extra.Limit,
        ...(extra.ExclusiveStartKey ? { ExclusiveStartKey: extra.ExclusiveStartKey } : {}),
      }),
    );

  /** The rows themselves, read consistently from the table: a row the relay deleted after the index listed it is not returned. */
  async function readRows(keys: { pk: string }[]): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    // What is still unread after the tries is read by the next sweep.
    await untilProcessed<Record<string, unknown>>(
      keys,
      async (batch) => {
        const response = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }));
        rows.push(...(response.Responses?.[tableName] ?? []));
        return response.UnprocessedKeys?.[tableName]?.Keys ?? [];
      },
      sleep,
    );
    return rows.sort((a, b) => String(a[sortKey]).localeCompare(String(b[sortKey])));
  }

  return {
    async oldestCreatedAt() {
      const heads = await Promise.all(shards().map(async (shard) => (await query(shard, { Limit: 1 })).Items?.[0]?.[sortKey] as string | undefined));
      return heads.filter((head): head is string => typeof head === 'string').sort()[0];
    },

    async *olderThan(cutoff, pageSize) {
      // Shard by shard, page by page: every old row is reached once per sweep, however many there are.
      for (const shard of shards()) {
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await query(shard, { Limit: pageSize, cutoff: cutoff.toISOString(), ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
          startKey = page.LastEvaluatedKey;
          const keys = (page.Items ?? []).map((item) => ({ pk: String(item.pk) }));
          if (keys.length > 0) yield await readRows(keys);
        } while (startKey);
      }
    },
  };
}
