import { describe, expect, it } from 'vitest';
import { contextNames } from '#contracts/envelope';
import { allEvents, OrderPlaced, OrderTimedOut, PaymentAuthorized, PaymentDeclined } from '#contracts/events';
import { maxOrderLines } from '#contracts/primitives';
import { deadlineArmingSubscription, subscriptions } from '#contracts/subscriptions';
import { fixtureDetailTypes, readEventFixture } from '../../helpers/events-fixtures';

const contracts = allEvents.map((contract) => [contract.detailType, contract] as const);

describe('event contracts', () => {
  it('has a fixture for every contract and a contract for every fixture', () => {
    const fixtures = fixtureDetailTypes().sort();

    const detailTypes = allEvents.map((contract) => contract.detailType).sort();

    expect(fixtures).toEqual(detailTypes);
  });

  it('gives every event its own detail-type', () => {
    const detailTypes = allEvents.map((contract) => contract.detailType);

    expect(new Set(detailTypes).size).toBe(detailTypes.length);
  });

  it.each(contracts)('accepts the %s fixture', (detailType, contract) => {
    const fixture = readEventFixture(detailType);

    const result = contract.detail.safeParse(fixture);

    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data).toEqual(fixture);
  });

  it.each(contracts)('names the %s fixture after the type and version in its metadata', (detailType, contract) => {
    const { metadata } = readEventFixture(detailType);

    expect(metadata).toMatchObject({ type: detailType, version: contract.version });
  });

  it.each(contracts)('rejects a %s with another metadata.version', (detailType, contract) => {
    const fixture = readEventFixture(detailType);
    fixture.metadata.version = contract.version + 1;

    const result = contract.detail.safeParse(fixture);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['metadata.version']);
  });

  it.each(contracts)('rejects a %s with another metadata.type', (detailType, contract) => {
    const fixture = readEventFixture(detailType);
    fixture.metadata.type = `${detailType}V2`;

    const result = contract.detail.safeParse(fixture);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['metadata.type']);
  });

  it('rejects an event of one type parsed with the contract of another', () => {
    const declined = readEventFixture(PaymentDeclined.detailType);

    const result = PaymentAuthorized.detail.safeParse(declined);

    expect(result.success).toBe(false);
  });

  it.each(contracts)('tolerates an unknown metadata field in a %s (tolerant reader)', (detailType, contract) => {
    const fixture = readEventFixture(detailType);
    fixture.metadata.schemaRegistryId = 'duckstore/v1';
    fixture.metadata.replayedFrom = 'archive-2025-03-14';

    const result = contract.detail.safeParse(fixture);

    expect(result.success).toBe(true);
  });

  it.each(contracts)('rejects a %s without an eventId (the consumers\u2019 idempotency key)', (detailType, contract) => {
    const fixture = readEventFixture(detailType);
    delete fixture.metadata.eventId;

    const result = contract.detail.safeParse(fixture);

    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['metadata.eventId']);
  });

  /* JSON schema cannot express "each sku once", so the pinned schemas would not notice if it went away. */
  const withLines = contracts.filter(([detailType]) => Array.isArray(readEventFixture(detailType).data.lines));

  it('has order lines in the events that carry them', () => {
    expect(withLines.map(([detailType]) => detailType).sort()).toEqual(['InventoryReleased', 'InventoryReserved', 'OrderPlaced']);
  });

  it.each(withLines)('rejects a %s that lists one sku twice', (detailType, contract) => {
    const fixture = readEventFixture(detailType);
    const lines = fixture.data.lines as unknown[];
    fixture.data.lines = [...lines, lines[0]];

    const result = contract.detail.safeParse(fixture);

    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['data.lines']);
  });

  it.each(withLines)('rejects a %s with more lines than one inventory transaction can reserve', (detailType, contract) => {
    const fixture = readEventFixture(detailType);
    const [line] = fixture.data.lines as Record<string, unknown>[];
    fixture.data.lines = Array.from({ length: maxOrderLines + 1 }, (_, n) => ({ ...line, sku: `DUCK-${n}` }));

    const result = contract.detail.safeParse(fixture);

    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['data.lines']);
  });

  it.each(contracts)('names the %s event duckstore.<context> / <Entity><PastVerb>', (_, contract) => {
    const context = contract.source.replace(/^duckstore\./, '');

    expect(contract.source).toMatch(/^duckstore\.[a-z]+$/);
    expect(contextNames).toContain(context);
    expect(contract.detailType).toMatch(/^(?:[A-Z][a-z]+){2,}$/);
    // A past verb, phrasal ones included (TimedOut).
    expect(contract.detailType).toMatch(/ed(?:Out|Up|Back)?$/);
  });

  it('subscribes every context only to contracts from allEvents', () => {
    const subscribed = Object.entries(subscriptions).flatMap(([context, contractsOfContext]) =>
      contractsOfContext.map((contract) => ({ context, detailType: contract.detailType, known: allEvents.includes(contract) })),
    );

    expect(subscribed.filter((subscription) => !subscription.known)).toEqual([]);
    expect(Object.keys(subscriptions).sort()).toEqual([...contextNames].sort());
  });

  it('subscribes a context to its own events only for the timer it sets itself', () => {
    const selfSubscribed = Object.entries(subscriptions).flatMap(([context, contractsOfContext]) =>
      contractsOfContext.filter((contract) => contract.source === `duckstore.${context}`).map((contract) => `${context}: ${contract.detailType}`),
    );

    expect(selfSubscribed).toEqual(['orders: OrderTimedOut']);
  });

  it('subscribes no other context to the orders context\u2019s timer', () => {
    const others = Object.entries(subscriptions).filter(([context, contractsOfContext]) => context !== 'orders' && contractsOfContext.some((contract) => contract === OrderTimedOut));

    expect(others).toEqual([]);
  });

  it('arms the saga deadline from OrderPlaced, the event the API commits with the order', () => {
    expect(deadlineArmingSubscription).toEqual([OrderPlaced]);
  });
});
