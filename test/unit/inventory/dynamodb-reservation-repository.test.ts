import { describe, expect, it } from 'vitest';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamoDbReservationRepository, setStock, StockContentionError } from '../../../functions/inventory/adapters/dynamodb-reservation-repository';
import { decide, type Reservation } from '../../../functions/inventory/domain/reservation';
import { orderCancelled, orderPlaced } from '../../helpers/inventory-events';
import { scriptedDocumentClient, throws, transactionCancelled, type SentCommand } from '../../helpers/scripted-dynamodb';

const tableName = 'inventory';
const environment = { region: 'us-east-1', now: () => new Date('2025-01-01T12:00:05.000Z') };
const now = environment.now();

function reserveDecision(lines: { sku: string; quantity: number }[]) {
  const event = orderPlaced({ lines });
  const decision = decide(undefined, event, now);
  if (decision.kind !== 'reserve') throw new Error('expected a reserve decision');
  return { decision, cause: { correlationId: event.data.orderId, causationId: event.metadata.eventId } };
}

const items = (command: SentCommand) => command.input.TransactItems as Record<string, Record<string, unknown>>[];

describe('dynamoDbReservationRepository.reserve', () => {
  it('takes every line, puts the reservation and its outbox row in one conditional transaction', async () => {
    const { client, sent } = scriptedDocumentClient();
    const { decision, cause } = reserveDecision([{ sku: 'DUCK-CLASSIC', quantity: 2 }, { sku: 'DUCK-PIRATE', quantity: 1 }]);

    const result = await dynamoDbReservationRepository(tableName, environment, client).reserve(decision.reservation, decision.events, cause);

    expect(result).toEqual({ kind: 'reserved' });
    expect(sent.map((command) => command.name)).toEqual(['TransactWriteCommand']);
    const [classic, pirate, reservation, outbox] = items(sent[0]!);
    expect(classic!.Update).toMatchObject({
      Key: { pk: 'SKU#DUCK-CLASSIC' },
      ConditionExpression: '#available >= :quantity',
      UpdateExpression: 'SET #available = #available - :quantity',
      ExpressionAttributeValues: { ':quantity': 2 },
    });
    expect(pirate!.Update).toMatchObject({ Key: { pk: 'SKU#DUCK-PIRATE' }, ExpressionAttributeValues: { ':quantity': 1 } });
    expect(reservation!.Put).toMatchObject({
      Item: { pk: `RESERVATION#${decision.reservation.orderId}`, kind: 'reservation', status: 'HELD', lines: decision.reservation.lines },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(outbox!.Put).toMatchObject({ Item: { kind: 'outbox', detailType: 'InventoryReserved', correlationId: cause.correlationId } });
  });

  it('reports the SKUs whose stock condition failed as unavailable', async () => {
    const { client } = scriptedDocumentClient([throws(transactionCancelled('None', 'ConditionalCheckFailed', 'None', 'None'))]);
    const { decision, cause } = reserveDecision([{ sku: 'DUCK-CLASSIC', quantity: 2 }, { sku: 'DUCK-LIMITED', quantity: 9 }]);

    const result = await dynamoDbReservationRepository(tableName, environment, client).reserve(decision.reservation, decision.events, cause);

    expect(result).toEqual({ kind: 'unavailable', skus: ['DUCK-LIMITED'] });
  });

  it('reports an existing reservation before missing stock: the order was handled already', async () => {
    const { client } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed', 'ConditionalCheckFailed', 'None'))]);
    const { decision, cause } = reserveDecision([{ sku: 'DUCK-LIMITED', quantity: 9 }]);

    const result = await dynamoDbReservationRepository(tableName, environment, client).reserve(decision.reservation, decision.events, cause);

    expect(result).toEqual({ kind: 'exists' });
  });

  it.each([1, 2])("regression #13-4: a hot SKU's TransactionConflict is retried in process, not cancelled (%i conflict(s), then it commits)", async (conflicts) => {
    const conflict = () => transactionCancelled('TransactionConflict', 'None', 'None');
    const { client, sent } = scriptedDocumentClient(Array.from({ length: conflicts }, () => throws(conflict())));
    const { decision, cause } = reserveDecision([{ sku: 'DUCK-CLASSIC', quantity: 1 }]);

    const result = await dynamoDbReservationRepository(tableName, environment, client).reserve(decision.reservation, decision.events, cause);

    expect(result).toEqual({ kind: 'reserved' });
    expect(sent.map((command) => command.name)).toEqual(Array.from({ length: conflicts + 1 }, () => 'TransactWriteCommand'));
    expect(sent.every((command) => JSON.stringify(command.input) === JSON.stringify(sent[0]!.input))).toBe(true);
  });

  it('throws a conflict that outlasts the in-process retries, so that SQS redelivers the message', async () => {
    const conflict = transactionCancelled('TransactionConflict', 'None', 'None');
    const { client, sent } = scriptedDocumentClient(Array.from({ length: 10 }, () => throws(conflict)));
    const { decision, cause } = reserveDecision([{ sku: 'DUCK-CLASSIC', quantity: 1 }]);

    const result = dynamoDbReservationRepository(tableName, environment, client).reserve(decision.reservation, decision.events, cause);

    await expect(result).rejects.toBe(conflict);
    expect(sent).toHaveLength(5);
  });

  it('does not retry a failed stock condition: out of stock is a decision, not a conflict', async () => {
    const { client, sent } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed', 'None', 'None'))]);
    const { decision, cause } = reserveDecision([{ sku: 'DUCK-LIMITED', quantity: 9 }]);

    const result = await dynamoDbReservationRepository(tableName, environment, client).reserve(decision.reservation, decision.events, cause);

    expect(result).toEqual({ kind: 'unavailable', skus: ['DUCK-LIMITED'] });
    expect(sent).toHaveLength(1);
  });

  it.each([
    ['a conflict beside a failed condition', transactionCancelled('TransactionConflict', 'ConditionalCheckFailed', 'None')],
    ['throttling', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })],
    ['a failed outbox condition', transactionCancelled('None', 'None', 'ConditionalCheckFailed')],
  ])('rethrows %s so that SQS retries', async (_, error) => {
    const { client } = scriptedDocumentClient([throws(error)]);
    const { decision, cause } = reserveDecision([{ sku: 'DUCK-CLASSIC', quantity: 1 }]);

    const result = dynamoDbReservationRepository(tableName, environment, client).reserve(decision.reservation, decision.events, cause);

    await expect(result).rejects.toBe(error);
  });
});

describe('dynamoDbReservationRepository.record', () => {
  it('puts a stock-free reservation only if the order has none, and reports false when it has', async () => {
    const { client, sent } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed'))]);
    const cancelled = orderCancelled({ orderId: orderPlaced().data.orderId });
    const decision = decide(undefined, cancelled, now);
    if (decision.kind !== 'void') throw new Error('expected a void decision');

    const recorded = await dynamoDbReservationRepository(tableName, environment, client).record(decision.reservation, [], {
      correlationId: cancelled.data.orderId,
      causationId: cancelled.metadata.eventId,
    });

    expect(recorded).toBe(false);
    expect(items(sent[0]!)).toEqual([
      {
        Put: {
          TableName: tableName,
          Item: { pk: `RESERVATION#${cancelled.data.orderId}`, kind: 'reservation', ...decision.reservation },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
  });
});

describe('dynamoDbReservationRepository.release', () => {
  const held: Reservation = {
    orderId: '0b6c2d3e-9f0a-4b1c-8d2e-3f4a5b6c7d8e',
    status: 'HELD',
    lines: [{ sku: 'DUCK-NINJA', quantity: 3 }],
    updatedAt: '2025-01-01T12:00:01.000Z',
  };

  function releaseDecision() {
    const decision = decide(held, orderCancelled({ orderId: held.orderId }), now);
    if (decision.kind !== 'release') throw new Error('expected a release decision');
    return { decision, cause: { correlationId: held.orderId, causationId: decision.entry.eventId } };
  }

  it('releases only a HELD reservation and gives its lines back in the same transaction', async () => {
    const { client, sent } = scriptedDocumentClient();
    const { decision, cause } = releaseDecision();

    const released = await dynamoDbReservationRepository(tableName, environment, client).release(held, decision.entry, decision.events, cause);

    expect(released).toBe(true);
    const [reservation, stock, outbox] = items(sent[0]!);
    expect(reservation!.Update).toMatchObject({
      Key: { pk: `RESERVATION#${held.orderId}` },
      ConditionExpression: '#status = :held',
      ExpressionAttributeValues: { ':held': 'HELD', ':released': 'RELEASED', ':entry': [decision.entry] },
    });
    expect(stock!.Update).toMatchObject({ Key: { pk: 'SKU#DUCK-NINJA' }, ExpressionAttributeValues: { ':quantity': 3 } });
    expect(stock!.Update).not.toHaveProperty('ConditionExpression');
    expect(outbox!.Put).toMatchObject({ Item: { detailType: 'InventoryReleased' } });
  });

  it('reports false when the reservation was no longer HELD', async () => {
    const { client } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed', 'None', 'None'))]);
    const { decision, cause } = releaseDecision();

    const released = await dynamoDbReservationRepository(tableName, environment, client).release(held, decision.entry, decision.events, cause);

    expect(released).toBe(false);
  });

  it('regression #13-4: a release that meets a TransactionConflict on the stock row is retried in process and gives the stock back', async () => {
    const { client, sent } = scriptedDocumentClient([throws(transactionCancelled('None', 'TransactionConflict', 'None'))]);
    const { decision, cause } = releaseDecision();

    const released = await dynamoDbReservationRepository(tableName, environment, client).release(held, decision.entry, decision.events, cause);

    expect(released).toBe(true);
    expect(sent).toHaveLength(2);
  });
});

describe('dynamoDbReservationRepository.get', () => {
  it('reads consistently and strips the table keys from the reservation', async () => {
    const row = { pk: 'RESERVATION#x', kind: 'reservation', orderId: 'x', status: 'VOID', lines: [], updatedAt: '2025-01-01T12:00:01.000Z' };
    const { client, sent } = scriptedDocumentClient([() => ({ Item: row })]);

    const reservation = await dynamoDbReservationRepository(tableName, environment, client).get('x');

    expect(reservation).toEqual({ orderId: 'x', status: 'VOID', lines: [], updatedAt: '2025-01-01T12:00:01.000Z' });
    expect(sent[0]!.input).toMatchObject({ Key: { pk: 'RESERVATION#x' }, ConsistentRead: true });
  });
});

describe('setStock', () => {
  const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  const put = (command: SentCommand) => command.input as { Item: Record<string, unknown>; ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> };

  it('moves `received` by as much as `available`, so what reservations hold is unchanged', async () => {
    // 1000 received, 990 on the shelf: 10 are held or sold.
    const { client, sent } = scriptedDocumentClient([() => ({ Item: { pk: 'SKU#DUCK-CLASSIC', kind: 'stock', sku: 'DUCK-CLASSIC', available: 990, received: 1000 } })]);

    await setStock(tableName, 'DUCK-CLASSIC', 1000, client);

    expect(sent.map((command) => command.name)).toEqual(['GetCommand', 'PutCommand']);
    expect(put(sent[1]!).Item).toEqual({ pk: 'SKU#DUCK-CLASSIC', kind: 'stock', sku: 'DUCK-CLASSIC', available: 1000, received: 1010 });
    expect(put(sent[1]!).ConditionExpression).toBe('#available = :available AND #received = :received');
    expect(put(sent[1]!).ExpressionAttributeValues).toEqual({ ':available': 990, ':received': 1000 });
  });

  it('creates a new SKU row with `received` counting what HELD reservations already hold of it', async () => {
    const { client, sent } = scriptedDocumentClient([
      () => ({}),
      () => ({ Items: [{ lines: [{ sku: 'DUCK-LIMITED', quantity: 2 }, { sku: 'DUCK-GOLD', quantity: 1 }] }], LastEvaluatedKey: { pk: 'RESERVATION#a' } }),
      () => ({ Items: [{ lines: [{ sku: 'DUCK-LIMITED', quantity: 1 }] }] }),
    ]);

    await setStock(tableName, 'DUCK-LIMITED', 5, client);

    expect(sent.map((command) => command.name)).toEqual(['GetCommand', 'ScanCommand', 'ScanCommand', 'PutCommand']);
    expect(sent[2]!.input.ExclusiveStartKey).toEqual({ pk: 'RESERVATION#a' });
    expect(put(sent[3]!).Item).toEqual({ pk: 'SKU#DUCK-LIMITED', kind: 'stock', sku: 'DUCK-LIMITED', available: 5, received: 8 });
    expect(put(sent[3]!).ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('gives a row written before `received` existed its total from the HELD reservations', async () => {
    const { client, sent } = scriptedDocumentClient([() => ({ Item: { pk: 'SKU#DUCK-GOLD', kind: 'stock', sku: 'DUCK-GOLD', available: 19 } }), () => ({ Items: [{ lines: [{ sku: 'DUCK-GOLD', quantity: 1 }] }] })]);

    await setStock(tableName, 'DUCK-GOLD', 20, client);

    expect(put(sent[2]!).Item).toMatchObject({ available: 20, received: 21 });
    expect(put(sent[2]!).ConditionExpression).toBe('#available = :available AND attribute_not_exists(#received)');
  });

  it('reads again when a reservation moved the stock between its read and its write', async () => {
    const { client, sent } = scriptedDocumentClient([
      () => ({ Item: { available: 10, received: 10 } }),
      throws(conditionFailed()),
      () => ({ Item: { available: 8, received: 10 } }),
    ]);

    await setStock(tableName, 'DUCK-PIRATE', 10, client);

    expect(sent.map((command) => command.name)).toEqual(['GetCommand', 'PutCommand', 'GetCommand', 'PutCommand']);
    expect(put(sent[3]!).Item).toMatchObject({ available: 10, received: 12 });
  });

  it('gives up with StockContentionError when the stock never holds still', async () => {
    const script = Array.from({ length: 5 }, () => [() => ({ Item: { available: 1, received: 1 } }), throws(conditionFailed())]).flat();
    const { client } = scriptedDocumentClient(script);

    await expect(setStock(tableName, 'DUCK-PIRATE', 10, client)).rejects.toThrow(StockContentionError);
  });

  it.each([
    ['a negative quantity', 'DUCK-CLASSIC', -1],
    ['a fractional quantity', 'DUCK-CLASSIC', 1.5],
    ['a malformed SKU', 'duck classic', 1],
  ])('refuses %s', async (_, sku, available) => {
    const { client, sent } = scriptedDocumentClient();

    await expect(setStock(tableName, sku, available, client)).rejects.toThrow();
    expect(sent).toEqual([]);
  });
});
