import { randomUUID } from 'node:crypto';
import { ConflictException, ResourceNotFoundException, ValidationException, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { OrderTimedOut } from '#contracts/events';
import { pendingOrdersIndex } from '#contracts/pending-orders-index';
import { subscriptions } from '#contracts/subscriptions';
import { parseRecord } from '#shared/event-consumer';
import { dynamoDbOrderRepository, dynamoDbOverdueOrders, pendingShardOf } from '../../../functions/orders/adapters/dynamodb-order-repository';
import { atExpression, schedulerDeadlineTimers, TimerTargetNotConfiguredError } from '../../../functions/orders/adapters/scheduler-deadline-timers';
import { newOrder, orderTimedOut } from '../../../functions/orders/domain/order';
import { scriptedDocumentClient, throws, type SentCommand } from '../../helpers/scripted-dynamodb';

const tableName = 'orders';
const orderId = 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2';
const environment = { region: 'us-east-1', now: () => new Date('2025-03-14T09:26:53.589Z') };
const placed = () =>
  newOrder(
    { customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-PIRATE', quantity: 2 }] },
    { orderId, idempotencyKey: 'checkout-7f3a21-0001', principal: 'cognito-sub-7f3a21', now: environment.now(), sagaDeadlineSeconds: 300 },
  );
const cause = { correlationId: orderId, causationId: 'checkout-7f3a21-0001' };
const items = (command: SentCommand) => command.input.TransactItems as Record<string, Record<string, unknown>>[];

describe('dynamoDbOrderRepository', () => {
  it('writes the order row with its deadline, its principal and the key that puts it in the pending-orders index', async () => {
    const { client, sent } = scriptedDocumentClient();
    const { order, events } = placed();

    await dynamoDbOrderRepository(tableName, environment, client).create(order, { key: 'cognito-sub-7f3a21#checkout-7f3a21-0001', requestHash: 'h' }, events, cause);

    const [, orderPut] = items(sent[0]!);
    expect(orderPut!.Put).toMatchObject({
      Item: { pk: `ORDER#${orderId}`, kind: 'order', status: 'PENDING', deadline: '2025-03-14T09:31:53.589Z', principal: 'cognito-sub-7f3a21', idempotencyKey: 'checkout-7f3a21-0001', pendingShard: pendingShardOf(orderId) },
    });
  });

  it('takes the order out of the pending-orders index in the same update that moves it', async () => {
    const { client, sent } = scriptedDocumentClient();
    const { order } = placed();

    await dynamoDbOrderRepository(tableName, environment, client).transition(order, { to: 'CANCELLED', entry: { status: 'CANCELLED', at: '2025-03-14T09:32:00.000Z', reason: 'SAGA_DEADLINE' }, cancellationReason: 'SAGA_DEADLINE' }, [], cause);

    const update = items(sent[0]!)[0]!.Update as { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeNames: Record<string, string> };
    expect(update.ConditionExpression).toBe('#status = :pending');
    expect(update.UpdateExpression).toMatch(/ REMOVE #pendingShard$/);
    expect(update.ExpressionAttributeNames['#pendingShard']).toBe(pendingOrdersIndex.partitionKey);
  });

  it('reads an order without its storage keys', async () => {
    const { order } = placed();
    const { client } = scriptedDocumentClient([() => ({ Item: { pk: `ORDER#${orderId}`, kind: 'order', pendingShard: 'PENDING#3', ...order } })]);

    const read = await dynamoDbOrderRepository(tableName, environment, client).get(orderId);

    expect(read).toEqual(order);
  });
});

describe('pendingShardOf', () => {
  it('always puts an order in the same shard, and spreads orders over every shard', () => {
    const shards = new Set(Array.from({ length: 2_000 }, () => pendingShardOf(randomUUID())));

    expect(pendingShardOf(orderId)).toBe(pendingShardOf(orderId));
    expect([...shards].sort()).toEqual(Array.from({ length: pendingOrdersIndex.shardCount }, (_, n) => `PENDING#${n}`).sort());
  });
});

describe('dynamoDbOverdueOrders', () => {
  it('queries every shard of the index for deadlines before the cutoff, each for its share of the limit', async () => {
    const { client, sent } = scriptedDocumentClient();

    await dynamoDbOverdueOrders(tableName, client).list(new Date('2025-03-14T10:00:00.000Z'), 100);

    expect(sent).toHaveLength(pendingOrdersIndex.shardCount);
    expect(sent.map((command) => (command.input.ExpressionAttributeValues as Record<string, string>)[':shard']).sort()).toEqual(
      Array.from({ length: pendingOrdersIndex.shardCount }, (_, n) => `PENDING#${n}`).sort(),
    );
    for (const command of sent) {
      expect(command.name).toBe('QueryCommand');
      expect(command.input).toMatchObject({
        TableName: tableName,
        IndexName: pendingOrdersIndex.indexName,
        KeyConditionExpression: '#shard = :shard AND #deadline < :cutoff',
        ExpressionAttributeNames: { '#shard': 'pendingShard', '#deadline': 'deadline' },
        ExpressionAttributeValues: expect.objectContaining({ ':cutoff': '2025-03-14T10:00:00.000Z' }),
        Limit: Math.ceil(100 / pendingOrdersIndex.shardCount),
      });
    }
  });

  it('returns at most `limit` orders, oldest deadline first, with their ids from the keys', async () => {
    const row = (id: string, deadline: string) => ({ pk: `ORDER#${id}`, pendingShard: 'PENDING#0', deadline });
    const { client } = scriptedDocumentClient([
      () => ({ Items: [row('a', '2025-03-14T09:40:00.000Z'), row('b', '2025-03-14T09:31:00.000Z')] }),
      () => ({ Items: [row('c', '2025-03-14T09:35:00.000Z')] }),
    ]);

    const overdue = await dynamoDbOverdueOrders(tableName, client).list(new Date('2025-03-14T10:00:00.000Z'), 2);

    expect(overdue).toEqual([
      { orderId: 'b', deadline: '2025-03-14T09:31:00.000Z' },
      { orderId: 'c', deadline: '2025-03-14T09:35:00.000Z' },
    ]);
  });
});

function scriptedScheduler(answer: (command: SentCommand) => unknown = () => ({})) {
  const sent: SentCommand[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const entry = { name: command.constructor.name, input: command.input };
      sent.push(entry);
      return answer(entry);
    },
  } as unknown as Pick<SchedulerClient, 'send'>;
  return { client, sent };
}

const target = {
  queueArn: 'arn:aws:sqs:us-east-1:123456789012:orders-consumer',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:orders-consumer-dlq',
  roleArn: 'arn:aws:iam::123456789012:role/deadline-timers',
};
const timer = () => {
  const event = orderTimedOut({ orderId, deadline: '2025-03-14T09:31:53.589Z' }, { region: 'us-east-1', causationId: 'placed', occurredAt: new Date('2025-03-14T09:31:53.589Z') });
  return { orderId, fireAt: new Date(event.data.deadline), event };
};
/** A Scheduler service error as the SDK throws it (the Scheduler model spells its message `Message`). */
const serviceError = <E>(ErrorClass: new (options: { Message: string; message: string; $metadata: object }) => E) =>
  new ErrorClass({ Message: 'from the service', message: 'from the service', $metadata: {} });

describe('schedulerDeadlineTimers', () => {
  it('sets a one-time schedule named after the order that sends its OrderTimedOut to the consumer queue, and deletes itself once fired', async () => {
    const { client, sent } = scriptedScheduler();

    const result = await schedulerDeadlineTimers({ groupName: 'deadlines', region: 'us-east-1', target }, client).set(timer());

    expect(result).toBe('set');
    expect(sent[0]).toMatchObject({
      name: 'CreateScheduleCommand',
      input: {
        Name: orderId,
        GroupName: 'deadlines',
        ScheduleExpression: 'at(2025-03-14T09:31:54)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: target.queueArn,
          RoleArn: target.roleArn,
          DeadLetterConfig: { Arn: target.deadLetterQueueArn },
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        },
      },
    });
  });

  it('delivers a message body the orders consumer parses as the timer\u2019s OrderTimedOut', async () => {
    const { client, sent } = scriptedScheduler();
    const set = timer();

    await schedulerDeadlineTimers({ groupName: 'deadlines', region: 'us-east-1', target }, client).set(set);

    const body = (sent[0]!.input.Target as { Input: string }).Input;
    const { contract, detail } = parseRecord(subscriptions.orders, body);
    expect(contract).toBe(OrderTimedOut);
    expect(detail).toEqual(set.event);
  });

  it('takes an existing schedule of that name as the order\u2019s timer, already set', async () => {
    const { client } = scriptedScheduler(throws(serviceError(ConflictException)));

    const result = await schedulerDeadlineTimers({ groupName: 'deadlines', region: 'us-east-1', target }, client).set(timer());

    expect(result).toBe('already-set');
  });

  it('fails on any other refusal, for SQS to retry the OrderPlaced', async () => {
    const { client } = scriptedScheduler(throws(serviceError(ValidationException)));

    await expect(schedulerDeadlineTimers({ groupName: 'deadlines', region: 'us-east-1', target }, client).set(timer())).rejects.toThrow(ValidationException);
  });

  it('refuses to set a timer where no target is configured (functions that only clear)', async () => {
    const { client, sent } = scriptedScheduler();

    await expect(schedulerDeadlineTimers({ groupName: 'deadlines', region: 'us-east-1' }, client).set(timer())).rejects.toThrow(TimerTargetNotConfiguredError);
    expect(sent).toEqual([]);
  });

  it('clears by deleting the schedule, and takes a missing one (fired, or never set) as cleared', async () => {
    const { client, sent } = scriptedScheduler(throws(serviceError(ResourceNotFoundException)));

    await schedulerDeadlineTimers({ groupName: 'deadlines', region: 'us-east-1' }, client).clear(orderId);

    expect(sent).toEqual([{ name: 'DeleteScheduleCommand', input: { Name: orderId, GroupName: 'deadlines' } }]);
  });

  it('fails a clear the service refuses for another reason', async () => {
    const { client } = scriptedScheduler(throws(serviceError(ValidationException)));

    await expect(schedulerDeadlineTimers({ groupName: 'deadlines', region: 'us-east-1' }, client).clear(orderId)).rejects.toThrow(ValidationException);
  });
});

describe('atExpression', () => {
  it.each([
    ['2025-03-14T09:31:53.589Z', 'at(2025-03-14T09:31:54)'],
    ['2025-03-14T09:31:53.000Z', 'at(2025-03-14T09:31:53)'],
    ['2025-12-31T23:59:59.001Z', 'at(2026-01-01T00:00:00)'],
  ])('fires %s at the whole second %s, never before', (moment, expression) => {
    expect(atExpression(new Date(moment))).toBe(expression);
  });
});
