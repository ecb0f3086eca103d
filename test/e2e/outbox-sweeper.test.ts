import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resourceOf } from '../../cli/deployment';
import { clearAllFaults, setFunctionFaults } from '../../cli/faults';
import { main } from '../../cli/main';
import type { OutboxSweepReport } from '../../functions/outbox-relay/sweeper';
import { connectClearingFaults, eventually, functionLogLines } from './helpers/system';

// End-to-end: needs the local cloud (started by the suite's global setup) or DUCKSTORE_TARGET.
const system = connectClearingFaults();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function cli(...args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await main(args, (line) => lines.push(line), (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

const outboxRowsOf = (orderId: string) => system().rows('orders', (row) => row.kind === 'outbox' && row.correlationId === orderId);

/**
 * Places an order whose OrderPlaced the orders relay cannot publish (EventBridge refuses it for the relay, not for
 * the sweeper), then ages the stranded row past the sweeper's bound: the saga deadline here (30 s) is shorter than
 * bound + a tick. The rewrite is a stream MODIFY, which the relay ignores, so only the sweeper can publish the row now.
 */
async function strandOrderPlaced(): Promise<{ orderId: string; row: Record<string, unknown> }> {
  const { deployment } = system();
  let orderId = '';
  try {
    await setFunctionFaults(deployment, [{ kind: 'putevents-partial-failure', target: 'orders-relay', eventType: 'OrderPlaced', rate: 1 }]);
    await pause(2_500);
    ({ orderId } = await system().api.placeOrder({ customerId: `sweeper-${randomUUID().slice(0, 8)}`, items: [{ sku: 'DUCK-NINJA', quantity: 1 }] }));
    await pause(6_000);
  } finally {
    await clearAllFaults(deployment);
  }
  const stranded = await outboxRowsOf(orderId);
  expect(stranded.map((row) => row.detailType), 'the OrderPlaced row is still unpublished').toEqual(['OrderPlaced']);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(system().region('orders'))));
  await documents.send(new UpdateCommand({ TableName: system().stateTable('orders'), Key: { pk: stranded[0]!.pk }, UpdateExpression: 'SET createdAt = :old', ExpressionAttributeValues: { ':old': new Date(Date.now() - 600_000).toISOString() } }));
  return { orderId, row: stranded[0]! };
}

/** The relay's DLQ notice of the row it gave up on: the redrive finds nothing left to publish and clears it. */
async function clearRelayNotice(orderId: string): Promise<void> {
  const { code, output } = await cli('--json', 'dlq', 'redrive', 'OrdersRelayDeadLetters', '--older-than', '0', '--order', orderId);
  expect(code, output).toBe(0);
  expect((JSON.parse(output) as { outcomes: { matched: number; moved: number }[] }).outcomes[0]).toMatchObject({ matched: 0, moved: 0 });
}

describe('outbox sweeper', () => {
  it('publishes an OrderPlaced row the relay never published, and the saga goes on to CONFIRMED', async () => {
    const { deployment } = system();
    const { orderId } = await strandOrderPlaced();

    // The scheduled run, now rather than at the next tick, so the order is still within its deadline.
    const lambda = new LambdaClient(deployment.target.aws(system().region('orders')));
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: resourceOf(deployment, 'orders', 'AWS::Lambda::Function', 'OrdersRelaySweeper'), Payload: Buffer.from('{}') }));
    const report = JSON.parse(Buffer.from(invoked.Payload!).toString('utf8')) as OutboxSweepReport;

    expect(invoked.FunctionError).toBeUndefined();
    expect(report.published).toBeGreaterThanOrEqual(1);
    expect(report.oldestAgeSeconds).toBeGreaterThanOrEqual(600);
    expect(await outboxRowsOf(orderId)).toHaveLength(0);
    expect((await system().api.waitForTerminal(orderId, { timeoutMs: 60_000 })).status).toBe('CONFIRMED');
    await clearRelayNotice(orderId);
  });

  it('publishes a stranded row on its own schedule, and the event reaches its consumer', async () => {
    const { deployment } = system();
    const { end } = functionLogLines(deployment);
    const { orderId, row } = await strandOrderPlaced();

    // One tick a minute: within about a minute the row is published and deleted, with no one invoking anything.
    const gone = await eventually(async () => ((await outboxRowsOf(orderId)).length === 0 ? true : undefined), 90_000, 2_000);
    expect(gone, 'the scheduled sweeper published the row').toBe(true);
    // Inventory handled that very event (the deadline may have cancelled the order first: then it ignores it, by design).
    // The function log is the local cloud's; elsewhere the order reaching a terminal state is the evidence.
    const handled = deployment.target.name !== 'local' ? { eventId: row.eventId } : await eventually(
      async () => functionLogLines(deployment, end).lines.find((line) => line.message === 'event handled' && line.service === 'inventory' && line.eventId === row.eventId),
      30_000,
      1_000,
    );
    expect(handled, 'inventory received the swept OrderPlaced').toBeDefined();
    expect(['CONFIRMED', 'CANCELLED']).toContain((await system().api.waitForTerminal(orderId, { timeoutMs: 60_000 })).status);
    await clearRelayNotice(orderId);
  }, 180_000);
});
