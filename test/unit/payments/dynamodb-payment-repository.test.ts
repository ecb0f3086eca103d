import { describe, expect, it } from 'vitest';
import { emit } from '#shared/outbox';
import { PaymentAuthorized, PaymentRefunded } from '#contracts/events';
import { dynamoDbPaymentRepository } from '../../../functions/payments/adapters/dynamodb-payment-repository';
import type { Payment } from '../../../functions/payments/domain/payment';
import { scriptedDocumentClient, throws, transactionCancelled } from '../../helpers/scripted-dynamodb';

const orderId = '0b7f2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const amount = { amountCents: 1798, currency: 'USD' as const };
const environment = { region: 'eu-west-1', now: () => new Date('2026-11-20T10:00:00.000Z') };
const cause = { correlationId: orderId, causationId: '11111111-1111-4111-8111-111111111111' };
const entry = { status: 'AUTHORIZED' as const, at: '2026-11-20T10:00:00.000Z', reason: 'InventoryReserved', eventId: cause.causationId };
const authorized: Payment = { orderId, status: 'AUTHORIZED', authorizationId: 'auth_1', amount, updatedAt: entry.at, history: [entry] };
const authorizedEvent = emit(PaymentAuthorized, { orderId, authorizationId: 'auth_1', amount });

type TransactItems = { Put?: { Item: Record<string, unknown>; ConditionExpression?: string }; Update?: Record<string, unknown> }[];

describe('the DynamoDB payment repository', () => {
  it('writes the first payment row and its outbox row in one transaction, the row on condition that the order has none', async () => {
    const { client, sent } = scriptedDocumentClient();

    const created = await dynamoDbPaymentRepository('payments', environment, client).create(authorized, [authorizedEvent], cause);

    expect(created).toBe(true);
    expect(sent.map((command) => command.name)).toEqual(['TransactWriteCommand']);
    const items = sent[0]!.input.TransactItems as TransactItems;
    expect(items[0]?.Put).toMatchObject({ Item: { pk: `PAYMENT#${orderId}`, kind: 'payment', status: 'AUTHORIZED', authorizationId: 'auth_1' }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(items[1]?.Put).toMatchObject({ Item: { kind: 'outbox', detailType: 'PaymentAuthorized', correlationId: orderId }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(items).toHaveLength(2);
  });

  it('reports a lost race for the row as false', async () => {
    const { client } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed', 'None'))]);

    await expect(dynamoDbPaymentRepository('payments', environment, client).create(authorized, [authorizedEvent], cause)).resolves.toBe(false);
  });

  it('lets a conflict that outlasts the in-process retries, or a throttling cancellation, through, for SQS to retry', async () => {
    const conflicts = scriptedDocumentClient(Array.from({ length: 5 }, () => throws(transactionCancelled('None', 'TransactionConflict'))));
    const throttled = scriptedDocumentClient([throws(transactionCancelled('None', 'ThrottlingError'))]);

    await expect(dynamoDbPaymentRepository('payments', environment, conflicts.client).create(authorized, [authorizedEvent], cause)).rejects.toThrow(/Transaction cancelled/);
    await expect(dynamoDbPaymentRepository('payments', environment, throttled.client).create(authorized, [authorizedEvent], cause)).rejects.toThrow(/Transaction cancelled/);
    expect(throttled.sent).toHaveLength(1);
  });

  it('moves a payment only from the expected status, appending history and the refunded authorization, with its outbox row', async () => {
    const { client, sent } = scriptedDocumentClient();
    const refundEntry = { status: 'REFUNDED' as const, at: '2026-11-20T10:01:00.000Z', reason: 'OrderCancelled', eventId: cause.causationId };

    const moved = await dynamoDbPaymentRepository('payments', environment, client).transition(
      orderId,
      { from: 'CANCELLED', to: 'REFUNDED', authorizationId: 'auth_1', amount, entry: refundEntry },
      [emit(PaymentRefunded, { orderId, authorizationId: 'auth_1', amount })],
      cause,
    );

    expect(moved).toBe(true);
    const [update, outbox] = sent[0]!.input.TransactItems as TransactItems;
    expect(update?.Update).toMatchObject({
      Key: { pk: `PAYMENT#${orderId}` },
      ConditionExpression: '#status = :from',
      ExpressionAttributeValues: { ':from': 'CANCELLED', ':to': 'REFUNDED', ':entry': [refundEntry], ':authorizationId': 'auth_1', ':amount': amount },
    });
    expect(update?.Update?.UpdateExpression).toBe('SET #status = :to, #updatedAt = :at, #history = list_append(#history, :entry), #authorizationId = :authorizationId, #amount = :amount');
    expect(outbox?.Put?.Item).toMatchObject({ detailType: 'PaymentRefunded' });
  });

  it('reports a payment no longer in the expected status as false', async () => {
    const { client } = scriptedDocumentClient([throws(transactionCancelled('ConditionalCheckFailed', 'None'))]);

    const moved = await dynamoDbPaymentRepository('payments', environment, client).transition(orderId, { from: 'AUTHORIZED', to: 'REFUNDED', entry }, [], cause);

    expect(moved).toBe(false);
  });

  it('reads a payment strongly consistently, without its key and kind', async () => {
    const { client, sent } = scriptedDocumentClient([() => ({ Item: { pk: `PAYMENT#${orderId}`, kind: 'payment', ...authorized } })]);

    const payment = await dynamoDbPaymentRepository('payments', environment, client).get(orderId);

    expect(payment).toEqual(authorized);
    expect(sent[0]?.input).toMatchObject({ Key: { pk: `PAYMENT#${orderId}` }, ConsistentRead: true });
  });

  it('records an authorization attempt under its own key, expiring after the longest redelivery window', async () => {
    const { client, sent } = scriptedDocumentClient([() => ({}), () => ({ Item: { pk: `ATTEMPT#${orderId}`, at: entry.at, eventId: cause.causationId } }), () => ({})]);
    const repository = dynamoDbPaymentRepository('payments', environment, client);

    await repository.recordAttempt(orderId, { at: entry.at, eventId: cause.causationId });
    const seen = await repository.lastAttempt(orderId);
    const none = await repository.lastAttempt('order-never-tried');

    expect(sent[0]?.input.Item).toEqual({
      pk: `ATTEMPT#${orderId}`,
      kind: 'authorization-attempt',
      orderId,
      at: entry.at,
      eventId: cause.causationId,
      expiresAt: Date.parse('2026-11-20T10:00:00.000Z') / 1000 + 30 * 24 * 3600,
    });
    expect(sent[0]?.input.ConditionExpression).toBeUndefined();
    expect(seen).toEqual({ at: entry.at, eventId: cause.causationId });
    expect(none).toBeUndefined();
  });
});
