import { describe, expect, it } from 'vitest';
import { OrderPlaced, PaymentAuthorized, PaymentDeclined } from '#contracts/events';
import { subscriptions } from '#contracts/subscriptions';
import { parseRecord, PoisonMessageError } from '#shared/event-consumer';
import { eventBridgeBody, eventBridgeEvent } from '../../helpers/events-envelope';
import { readEventFixture } from '../../helpers/events-fixtures';

const ordersSubscriptions = subscriptions.orders;

const poisonReason = (body: string): string => {
  try {
    parseRecord(ordersSubscriptions, body);
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect((error as Error).name).toBe('PoisonMessageError');
    return (error as Error).message;
  }
  throw new Error('expected the message to be poison');
};

describe('parseRecord', () => {
  it('returns the contract and the parsed detail of a subscribed event', () => {
    const detail = readEventFixture('PaymentAuthorized');

    const parsed = parseRecord(ordersSubscriptions, eventBridgeBody(PaymentAuthorized, detail));

    expect(parsed.contract).toBe(PaymentAuthorized);
    expect(parsed.detail).toEqual(detail);
  });

  it('picks the contract by detail-type among several subscriptions', () => {
    const detail = readEventFixture('PaymentDeclined');

    const parsed = parseRecord(ordersSubscriptions, eventBridgeBody(PaymentDeclined, detail));

    expect(parsed.contract).toBe(PaymentDeclined);
  });

  it('accepts an event whose metadata has a field it does not know', () => {
    const detail = readEventFixture('PaymentAuthorized');
    detail.metadata.replayedFrom = 'archive-2025-03-14';

    const parsed = parseRecord(ordersSubscriptions, eventBridgeBody(PaymentAuthorized, detail));

    expect(parsed.detail.metadata.eventId).toBe(detail.metadata.eventId);
  });

  it('calls a body that is not JSON poison', () => {
    expect(poisonReason('{"source": "duckstore.payments", ')).toMatch(/not JSON/);
  });

  it('calls JSON that is not an EventBridge event poison and names what is missing', () => {
    const reason = poisonReason(JSON.stringify({ Message: 'hello from SNS' }));

    expect(reason).toMatch(/not an EventBridge event/);
    expect(reason).toMatch(/source/);
    expect(reason).toMatch(/detail-type/);
  });

  it('calls an event of a detail-type the context does not subscribe to poison', () => {
    const reason = poisonReason(eventBridgeBody(OrderPlaced, readEventFixture('OrderPlaced')));

    expect(reason).toBe('no subscription for duckstore.orders/OrderPlaced');
  });

  it('calls an event from an unexpected source poison even when its detail-type is subscribed', () => {
    const body = JSON.stringify(eventBridgeEvent('duckstore.inventory', 'PaymentAuthorized', readEventFixture('PaymentAuthorized')));

    expect(poisonReason(body)).toBe('no subscription for duckstore.inventory/PaymentAuthorized');
  });

  it('calls a detail that violates its contract poison and names the failing path', () => {
    const detail = readEventFixture('PaymentAuthorized');
    (detail.data.amount as { amountCents: number }).amountCents = -5;

    const reason = poisonReason(eventBridgeBody(PaymentAuthorized, detail));

    expect(reason).toMatch(/^PaymentAuthorized v1 contract violated: /);
    expect(reason).toContain('data.amount.amountCents');
  });

  it('calls a detail of another version poison', () => {
    const detail = readEventFixture('PaymentDeclined');
    detail.metadata.version = 2;

    expect(poisonReason(eventBridgeBody(PaymentDeclined, detail))).toContain('metadata.version');
  });
});
