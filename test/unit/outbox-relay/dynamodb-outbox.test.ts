import { describe, expect, it } from 'vitest';
import { unpublishedOutboxIndex } from '#contracts/outbox';
import { deleteOutboxRows, dynamoDbUnpublishedOutbox } from '../../../functions/outbox-relay/dynamodb-outbox';
import { scriptedDocumentClient, type SentCommand } from '../../helpers/scripted-dynamodb';

const tableName = 'orders-state';
const shards = Array.from({ length: unpublishedOutboxIndex.shardCount }, (_, n) => `SHARD#${n}`);
const shardOf = (command: SentCommand) => (command.input.ExpressionAttributeValues as Record<string, string>)[':shard'];

describe('dynamoDbUnpublishedOutbox', () => {
  it('finds the oldest unpublished row with one Query of one key per shard of the index, never a Scan', async () => {
    const heads: Record<string, string> = { 'SHARD#2': '2025-03-14T12:20:00.000Z', 'SHARD#5': '2025-03-14T12:10:00.000Z' };
    const { client, sent } = scriptedDocumentClient(shards.map(() => (command) => ({ Items: heads[shardOf(command)!] ? [{ pk: 'OUTBOX#x', createdAt: heads[shardOf(command)!] }] : [] })));

    const oldest = await dynamoDbUnpublishedOutbox(tableName, client).oldestCreatedAt();

    expect(oldest).toBe('2025-03-14T12:10:00.000Z');
    expect(sent.map((command) => command.name)).toEqual(shards.map(() => 'QueryCommand'));
    expect(sent.map(shardOf).sort()).toEqual([...shards].sort());
    expect(sent[0]!.input).toMatchObject({ TableName: tableName, IndexName: 'UnpublishedByAge', KeyConditionExpression: '#shard = :shard', Limit: 1 });
    expect(sent[0]!.input.ExpressionAttributeNames).toEqual({ '#shard': 'outboxShard' });
  });

  it('reads the rows older than the cutoff page by page from the index, then consistently from the table, skipping rows deleted meanwhile', async () => {
    const cutoff = new Date('2025-03-14T12:28:00.000Z');
    const answers = [
      // Shard 0: two pages of keys; the second key of the first page was deleted by the relay after the index listed it.
      () => ({ Items: [{ pk: 'OUTBOX#a' }, { pk: 'OUTBOX#b' }], LastEvaluatedKey: { pk: 'OUTBOX#b', outboxShard: 'SHARD#0', createdAt: '2025-03-14T12:01:00.000Z' } }),
      () => ({ Responses: { [tableName]: [{ pk: 'OUTBOX#a', createdAt: '2025-03-14T12:00:00.000Z' }] } }),
      () => ({ Items: [{ pk: 'OUTBOX#c' }] }),
      () => ({ Responses: { [tableName]: [{ pk: 'OUTBOX#c', createdAt: '2025-03-14T12:02:00.000Z' }] } }),
      // The other shards hold nothing old.
      ...shards.slice(1).map(() => () => ({ Items: [] })),
    ];
    const { client, sent } = scriptedDocumentClient(answers);

    const pages: Record<string, unknown>[][] = [];
    for await (const page of dynamoDbUnpublishedOutbox(tableName, client).olderThan(cutoff, 2)) pages.push(page);

    expect(pages.map((page) => page.map((row) => row.pk))).toEqual([['OUTBOX#a'], ['OUTBOX#c']]);
    expect(sent[0]!.input).toMatchObject({ KeyConditionExpression: '#shard = :shard AND #createdAt < :cutoff', ExpressionAttributeNames: { '#shard': 'outboxShard', '#createdAt': 'createdAt' }, ExpressionAttributeValues: { ':shard': 'SHARD#0', ':cutoff': cutoff.toISOString() }, Limit: 2 });
    expect(sent[1]).toEqual({ name: 'BatchGetCommand', input: { RequestItems: { [tableName]: { Keys: [{ pk: 'OUTBOX#a' }, { pk: 'OUTBOX#b' }], ConsistentRead: true } } } });
    expect(sent[2]!.input.ExclusiveStartKey).toEqual({ pk: 'OUTBOX#b', outboxShard: 'SHARD#0', createdAt: '2025-03-14T12:01:00.000Z' });
    expect(sent.filter((command) => command.name === 'QueryCommand')).toHaveLength(shards.length + 1);
  });
});

describe('deleteOutboxRows', () => {
  it('deletes published rows in BatchWriteItem calls of 25, and again the ones DynamoDB left unprocessed', async () => {
    const rows = Array.from({ length: 30 }, (_, n) => ({ pk: `OUTBOX#${n}` }) as never);
    const { client, sent } = scriptedDocumentClient([() => ({ UnprocessedItems: { [tableName]: [{ DeleteRequest: { Key: { pk: 'OUTBOX#3' } } }] } }), () => ({}), () => ({})]);

    await deleteOutboxRows(tableName, client, async () => {})(rows);

    const requests = sent.map((command) => ((command.input.RequestItems as Record<string, { DeleteRequest: { Key: { pk: string } } }[]>)[tableName] ?? []).map((request) => request.DeleteRequest.Key.pk));
    expect(requests.map((keys) => keys.length)).toEqual([25, 1, 5]);
    expect(requests[1]).toEqual(['OUTBOX#3']);
  });
});
