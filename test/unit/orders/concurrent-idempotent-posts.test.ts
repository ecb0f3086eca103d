import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDbOrderRepository } from '../../../functions/orders/adapters/dynamodb-order-repository';
import { handleApiRequest } from '../../../functions/orders/handlers/api';
import { postOrder, readResponse, type ApiResponse } from '../../helpers/orders-api-events';
import { fixedClock } from '../../helpers/orders-fake-repository';
import { newOrder } from '../../../functions/orders/domain/order';
import { scriptedDocumentClient, throws, transactionCancelled } from '../../helpers/scripted-dynamodb';

type Item = Record<string, unknown> & { pk: string };
type Put = { Put: { Item: Item } };

/**
 * The orders table as DynamoDB treats concurrent transactions on one item: the
 * first transaction holds the idempotency claim while it commits, and every
 * transaction that touches the claim meanwhile is cancelled with
 * TransactionConflict; once it has committed, the claim's condition fails
 * instead. The first commit waits until all the others have met the conflict
 * (or 100 ms), so every loser really sees one, deterministically.
 */
function conflictingOrdersTable(contenders: number) {
  const items = new Map<string, Item>();
  const inFlight = new Set<string>();
  let conflicts = 0;
  let conflicted = () => {};
  const allConflicted = new Promise<void>((resolve) => {
    conflicted = () => {
      if (++conflicts >= contenders - 1) resolve();
    };
  });
  const client = {
    async send(command: { input: Record<string, unknown> }) {
      if (!(command instanceof TransactWriteCommand)) return { Item: items.get((command.input.Key as { pk: string }).pk) };
      const puts = (command.input.TransactItems as unknown as Put[]).map((item) => item.Put.Item);
      const claim = puts[0]!.pk;
      if (items.has(claim)) throw transactionCancelled('ConditionalCheckFailed', 'None', 'None');
      if (inFlight.has(claim)) {
        conflicted();
        throw transactionCancelled('TransactionConflict', 'None', 'None');
      }
      inFlight.add(claim);
      await Promise.race([allConflicted, new Promise((resolve) => setTimeout(resolve, 100))]);
      for (const put of puts) items.set(put.pk, put);
      inFlight.delete(claim);
      return {};
    },
  } as unknown as Pick<DynamoDBDocumentClient, 'send'>;
  return { client, items, conflicts: () => conflicts };
}

const environment = { region: 'us-east-1', now: () => new Date('2025-03-14T09:26:53.589Z') };

describe('concurrent POSTs with one Idempotency-Key', () => {
  it('regression #13-5: identical POSTs that meet a TransactionConflict on the claim all get the one order, never a 500', async () => {
    const contenders = 8;
    const table = conflictingOrdersTable(contenders);
    const ports = { orders: dynamoDbOrderRepository('orders', environment, table.client), clock: fixedClock(), sagaDeadlineSeconds: 300 };
    // An error thrown out of the router is what apiHandler answers with a 500.
    const send = (): Promise<ApiResponse> => handleApiRequest(postOrder(), ports).then(readResponse, () => ({ statusCode: 500, headers: {}, body: {} }));

    const responses = await Promise.all(Array.from({ length: contenders }, send));

    expect(table.conflicts()).toBeGreaterThanOrEqual(contenders - 1);
    expect(responses.map((response) => response.statusCode)).toEqual(Array.from({ length: contenders }, () => 202));
    const orderIds = new Set(responses.map((response) => response.body.orderId));
    expect(orderIds.size).toBe(1);
    expect(responses.filter((response) => response.body.replayed === false)).toHaveLength(1);
    expect(responses.filter((response) => response.body.replayed === true)).toHaveLength(contenders - 1);
    expect([...table.items.keys()].filter((pk) => pk.startsWith('ORDER#'))).toEqual([`ORDER#${String([...orderIds][0])}`]);
  });
});

describe('dynamoDbOrderRepository.create under contention', () => {
  const claim = { key: 'cognito-sub-7f3a21#checkout-7f3a21-0001', requestHash: 'h' };
  const placed = () =>
    newOrder(
      { customerId: 'cust-7f3a21', items: [{ sku: 'DUCK-PIRATE', quantity: 1 }] },
      { orderId: 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2', idempotencyKey: 'checkout-7f3a21-0001', principal: 'cognito-sub-7f3a21', now: environment.now(), sagaDeadlineSeconds: 300 },
    );
  const cause = { correlationId: 'ce866e34-ccfa-4320-9ac5-3ead4b519ab2', causationId: 'checkout-7f3a21-0001' };
  const conflicts = (count: number) => Array.from({ length: count }, () => throws(transactionCancelled('TransactionConflict', 'None', 'None')));
  const winner = { Item: { pk: `IDEMPOTENCY-KEY#${claim.key}`, orderId: 'winner-order', requestHash: 'h' } };

  it('reads the claim once, without retrying, when its condition failed: the key was taken, which is a decision', async () => {
    const { client, sent } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed', 'None', 'None')), () => winner]);
    const { order, events } = placed();

    const result = await dynamoDbOrderRepository('orders', environment, client).create(order, claim, events, cause);

    expect(result).toEqual({ created: false, existing: { orderId: 'winner-order', requestHash: 'h' } });
    expect(sent.map((command) => command.name)).toEqual(['TransactWriteCommand', 'GetCommand']);
  });

  it('replays the winner when a conflict outlasts the retries but the winner committed its claim meanwhile', async () => {
    const { client, sent } = scriptedDocumentClient([...conflicts(5), () => winner]);
    const { order, events } = placed();

    const result = await dynamoDbOrderRepository('orders', environment, client).create(order, claim, events, cause);

    expect(result).toEqual({ created: false, existing: { orderId: 'winner-order', requestHash: 'h' } });
    expect(sent.map((command) => command.name)).toEqual([...Array.from({ length: 5 }, () => 'TransactWriteCommand'), 'GetCommand']);
  });

  it('throws a conflict that outlasts the retries when no claim was committed, for the client to retry with its key', async () => {
    const { client } = scriptedDocumentClient([...conflicts(5), () => ({})]);
    const { order, events } = placed();

    const result = dynamoDbOrderRepository('orders', environment, client).create(order, claim, events, cause);

    await expect(result).rejects.toMatchObject({ name: 'TransactionCanceledException' });
  });
});
