import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { deadLetterDepths } from '../../../functions/auditor/adapters/dead-letter-depths';
import { scanTable } from '../../../functions/auditor/adapters/dynamodb-scan';
import { auditSourcesSchema, snapshotReader, type RegionalClients } from '../../../functions/auditor/adapters/snapshot-reader';

interface ScanInput {
  TableName: string;
  Segment?: number;
  TotalSegments?: number;
  ExclusiveStartKey?: { pk: string };
  ConsistentRead?: boolean;
}

/**
 * A table of `size` items that answers Scans as DynamoDB does: each segment
 * sees its own share (here: item index modulo the segment count), in pages of
 * `pageSize`, with LastEvaluatedKey while more remain.
 */
function fakeTable(size: number, pageSize = 3) {
  const items = Array.from({ length: size }, (_, index) => ({ pk: `ROW#${String(index).padStart(4, '0')}` }));
  const calls: ScanInput[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: ScanInput }) {
      if (command.constructor.name !== 'ScanCommand') throw new Error(`unexpected ${command.constructor.name}`);
      const input = command.input;
      calls.push(input);
      if (input.TableName === 'missing') throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      const total = input.TotalSegments ?? 1;
      const share = items.filter((_, index) => index % total === (input.Segment ?? 0));
      const start = input.ExclusiveStartKey ? share.findIndex((item) => item.pk === input.ExclusiveStartKey!.pk) + 1 : 0;
      const page = share.slice(start, start + pageSize);
      const more = start + pageSize < share.length;
      return { Items: page, ...(more ? { LastEvaluatedKey: { pk: page.at(-1)!.pk } } : {}) };
    },
  } as unknown as Pick<DynamoDBDocumentClient, 'send'>;
  return { client, calls, items };
}

describe('scanTable', () => {
  it('reads every item once through parallel, paginated, consistent segments', async () => {
    const { client, calls, items } = fakeTable(20);

    const rows = await scanTable(client, 'orders', { segments: 4 });

    expect(rows.map((row) => row.pk).sort()).toEqual(items.map((item) => item.pk));
    expect(new Set(calls.map((call) => call.Segment))).toEqual(new Set([0, 1, 2, 3]));
    expect(calls.every((call) => call.TotalSegments === 4 && call.ConsistentRead === true)).toBe(true);
    // 20 items over 4 segments of 5, in pages of 3: two pages per segment.
    expect(calls).toHaveLength(8);
  });

  it('scans without segments when asked for one', async () => {
    const { client, calls } = fakeTable(5);

    expect(await scanTable(client, 'orders', { segments: 1 })).toHaveLength(5);
    expect(calls.every((call) => call.Segment === undefined && call.TotalSegments === undefined)).toBe(true);
  });
});

describe('snapshotReader', () => {
  const sqs = {
    async send(command: { input: { QueueUrl: string } }) {
      return { Attributes: { ApproximateNumberOfMessages: command.input.QueueUrl.endsWith('full') ? '2' : '0', ApproximateNumberOfMessagesNotVisible: '1' } };
    },
  } as unknown as Pick<SQSClient, 'send'>;

  it('reads every table in its region, and reports a table it cannot read instead of failing', async () => {
    const { client } = fakeTable(4);
    const regions: string[] = [];
    const clients: RegionalClients = {
      documents: (region) => {
        regions.push(region);
        return client;
      },
      sqs: () => sqs,
    };
    const sources = auditSourcesSchema.parse({
      tables: { orders: { region: 'us-east-1', tableName: 'orders' }, payments: { region: 'us-west-2', tableName: 'missing' } },
      deadLetterQueues: [{ region: 'us-east-1', name: 'OrdersConsumerDeadLetters', url: 'https://sqs/full' }],
    });

    const snapshot = await snapshotReader(sources, clients, { segments: 2 })();

    expect(snapshot.tables.orders).toHaveLength(4);
    expect(snapshot.tables.payments).toBeUndefined();
    expect(snapshot.unreadable).toEqual([{ source: 'payments (missing in us-west-2)', error: 'ResourceNotFoundException: Requested resource not found' }]);
    expect(snapshot.deadLetterQueues).toEqual([{ region: 'us-east-1', name: 'OrdersConsumerDeadLetters', messages: 3 }]);
    expect(new Set(regions)).toEqual(new Set(['us-east-1', 'us-west-2']));
  });

  it('counts in-flight DLQ messages as not applied', async () => {
    expect(await deadLetterDepths([{ region: 'r', name: 'Q', url: 'https://sqs/empty' }], () => sqs)).toEqual([{ region: 'r', name: 'Q', messages: 1 }]);
  });
});
