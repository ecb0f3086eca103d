import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ContextName } from '#contracts/envelope';
import { regionOf } from '../lib/topology';
import { stateTableOf, type Deployment } from './deployment';

/** One context's first decision about an order, read from that context's own row. */
export interface SagaStep {
  context: ContextName;
  region: string;
  status: string;
  at: string;
}

interface RowWithHistory {
  history?: { status: string; at: string }[];
}

const rowKeys: Partial<Record<ContextName, (orderId: string) => string>> = {
  orders: (orderId) => `ORDER#${orderId}`,
  inventory: (orderId) => `RESERVATION#${orderId}`,
  payments: (orderId) => `PAYMENT#${orderId}`,
};

/**
 * Reads an order's saga from the rows each context wrote, in each context's
 * region: when orders accepted it, when inventory and payments decided, when
 * orders reached its terminal state. No tracing needed; the rows carry their history.
 */
export async function readSagaTimeline(deployment: Deployment, orderId: string): Promise<SagaStep[]> {
  const steps: SagaStep[] = [];
  for (const [context, key] of Object.entries(rowKeys) as [ContextName, (id: string) => string][]) {
    const region = regionOf(deployment.topology, context);
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(region)));
    const tableName = stateTableOf(deployment, context);
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { pk: key(orderId) }, ConsistentRead: true }));
    const history = (Item as RowWithHistory | undefined)?.history ?? [];
    // Orders: placement and terminal state; the others: their first (deciding) entry.
    const entries = context === 'orders' ? [history[0], history.length > 1 ? history.at(-1) : undefined] : [history[0]];
    for (const entry of entries) if (entry) steps.push({ context, region, status: entry.status, at: entry.at });
  }
  return steps.sort((a, b) => a.at.localeCompare(b.at));
}

/** Milliseconds between consecutive steps, named `from→to`. */
export function hops(steps: SagaStep[]): { hop: string; ms: number }[] {
  return steps.slice(1).map((step, index) => {
    const previous = steps[index]!;
    return { hop: `${previous.context}:${previous.status}→${step.context}:${step.status}`, ms: Date.parse(step.at) - Date.parse(previous.at) };
  });
}
