import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { callCounterKey } from '../../functions/payment-provider/adapters/dynamodb-call-counter';
import { auditSourcesOf } from '../audit-sources';
import type { Deployment } from '../deployment';

/** Requests the provider simulator received so far, failed ones included. */
export interface ProviderCalls {
  authorize: number;
  refund: number;
  /** Look-ups by order: an uncertain attempt's, and every probe of the payments breaker. */
  lookup: number;
}

/** Every request the provider received: what retry amplification counts (trials and probes included). */
export const totalCalls = (calls: ProviderCalls): number => calls.authorize + calls.refund + calls.lookup;

/**
 * Reads the simulator's request counter (a row of its ledger table that it
 * bumps on every authorization, refund or look-up request, before any fault or
 * decision). Undefined when a real provider is configured (no simulator).
 */
export async function providerCallCount(deployment: Deployment): Promise<ProviderCalls | undefined> {
  const ledger = auditSourcesOf(deployment).tables.ledger;
  if (!ledger) return undefined;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(ledger.region)));
  try {
    const { Item } = await client.send(new GetCommand({ TableName: ledger.tableName, Key: callCounterKey, ConsistentRead: true }));
    return { authorize: Number(Item?.authorize ?? 0), refund: Number(Item?.refund ?? 0), lookup: Number(Item?.lookup ?? 0) };
  } finally {
    client.destroy();
  }
}

/** Calls made between two readings. */
export const callsBetween = (before: ProviderCalls | undefined, after: ProviderCalls | undefined): ProviderCalls | undefined =>
  before && after ? { authorize: after.authorize - before.authorize, refund: after.refund - before.refund, lookup: after.lookup - before.lookup } : undefined;
