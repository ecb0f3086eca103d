/**
 * How long the invariant audit takes at 10k orders.
 *
 *   npx tsx scripts/bench-audit.ts [--orders 10000] [--runs 3] [--segments 1,4]
 *
 * 1. Always: the pure audit (`audit(snapshot)`) over a generated snapshot of
 *    `--orders` sagas of every outcome, in the shapes the adapters write.
 * 2. With DUCKSTORE_ENDPOINT set (a local cloud with DuckStore deployed):
 *    the same sagas are bulk-written (BatchWriteItem) into the deployed
 *    tables, the SKU rows' `received` raised by what they hold so the stock
 *    still balances, then the full read (parallel Scans of every table in
 *    both regions, DLQ depths) plus audit is timed per segment count.
 *    Afterwards the rows are deleted and `received` lowered again, unless
 *    --keep.
 *
 * Prints the median of `--runs` runs of each measurement.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand, type BatchWriteCommandInput, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Sku } from '#contracts/catalog';
import { auditPortsOf, auditSourcesOf } from '../cli/audit-sources';
import { discoverDeployment } from '../cli/deployment';
import { readTopology, resolveTarget } from '../cli/targets';
import { audit } from '../functions/auditor/domain/audit';
import type { AuditReport } from '../functions/auditor/domain/report';
import type { Row, SourceName } from '../functions/auditor/domain/snapshot';
import { SnapshotBuilder, type Outcome } from '../test/helpers/auditor-snapshot';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: { orders: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' }, segments: { type: 'string', default: '1,4' }, keep: { type: 'boolean', default: false } },
});
const orderCount = Number(values.orders);
const runs = Number(values.runs);
const segmentCounts = values.segments.split(',').map(Number);

const median = (samples: number[]): number => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

/** A realistic mix of finished sagas, placed over the last day: none pending, so a healthy system passes. */
function generate(count: number, now: Date, newId: () => string): SnapshotBuilder {
  // Plenty of stock: 10k orders must never run a SKU dry in the generated world.
  const initialStock = Object.fromEntries((['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA', 'DUCK-ASTRO', 'DUCK-GOLD', 'DUCK-LIMITED'] as Sku[]).map((sku) => [sku, 10_000_000])) as Record<Sku, number>;
  const builder = new SnapshotBuilder({ now, initialStock, newId });
  const mix: Outcome[] = ['confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'confirmed', 'out-of-stock', 'declined', 'refunded', 'cancelled-before-charge'];
  const skus: Sku[] = ['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA', 'DUCK-ASTRO'];
  for (let index = 0; index < count; index++) {
    const outcome = mix[index % mix.length]!;
    const lines = outcome === 'declined' ? [{ sku: 'DUCK-GOLD' as Sku, quantity: 1 }] : [{ sku: skus[index % skus.length]!, quantity: 1 + (index % 3) }, ...(index % 2 ? [{ sku: skus[(index + 1) % skus.length]!, quantity: 1 }] : [])];
    builder.saga({ outcome, lines, placedAgo: 600 + (index % 86_000) });
  }
  return builder;
}

function summary(report: AuditReport): string {
  const failed = report.invariants.filter((invariant) => !invariant.passed);
  return report.ok ? 'PASS' : `FAIL (${failed.map((invariant) => `${invariant.id}: ${invariant.violations}`).join(', ')})`;
}

async function pure(): Promise<void> {
  const now = new Date();
  const generated = await timed(() => generate(orderCount, now, randomUUID).build());
  const snapshot = generated.value;
  const rows = Object.values(snapshot.tables).reduce((sum, table) => sum + table.length, 0);
  console.log(`pure audit: ${orderCount} orders, ${rows} rows (generated in ${ms(generated.ms)})`);
  const samples: number[] = [];
  let report: AuditReport | undefined;
  for (let run = 0; run < runs; run++) {
    const result = await timed(() => audit(snapshot, { now, outboxBound: 120, grace: 60 }));
    samples.push(result.ms);
    report = result.value;
  }
  console.log(`  audit(): median ${ms(median(samples))} over ${runs} runs [${samples.map(ms).join(', ')}], ${summary(report!)}`);
}

async function batchWrite(client: DynamoDBDocumentClient, requests: { table: string; request: NonNullable<BatchWriteCommandInput['RequestItems']>[string][number] }[]): Promise<void> {
  const chunks: (typeof requests)[] = [];
  for (let index = 0; index < requests.length; index += 25) chunks.push(requests.slice(index, index + 25));
  let next = 0;
  // A few writers at once; unprocessed items are sent again.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < chunks.length) {
        let pending: BatchWriteCommandInput['RequestItems'] = {};
        for (const { table, request } of chunks[next++]!) (pending[table] ??= []).push(request);
        for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          const result: BatchWriteCommandOutput = await client.send(new BatchWriteCommand({ RequestItems: pending }));
          pending = result.UnprocessedItems;
        }
      }
    }),
  );
}

async function deployed(): Promise<void> {
  const deployment = await discoverDeployment(resolveTarget('local'), readTopology());
  const sources = auditSourcesOf(deployment);
  const clients = new Map<string, DynamoDBDocumentClient>();
  const documents = (region: string) => {
    if (!clients.has(region)) clients.set(region, DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(region))));
    return clients.get(region)!;
  };
  const builder = generate(orderCount, new Date(), randomUUID);
  const { tables } = builder.build();
  // The SKU rows stay the deployment's own; only `received` learns about the stock the synthetic reservations hold.
  const written = (Object.entries(tables) as [SourceName, Row[]][]).flatMap(([source, rows]) => {
    const target = sources.tables[source];
    if (!target) return [];
    return rows.filter((row) => !String(row.pk).startsWith('SKU#')).map((row) => ({ region: target.region, table: target.tableName, row }));
  });
  const inventory = sources.tables.inventory!;
  const adjustReceived = (sign: 1 | -1) =>
    Promise.all(
      [...builder.heldBySku].map(([sku, held]) =>
        documents(inventory.region).send(
          new UpdateCommand({ TableName: inventory.tableName, Key: { pk: `SKU#${sku}` }, UpdateExpression: 'ADD #received :held', ConditionExpression: 'attribute_exists(#received)', ExpressionAttributeNames: { '#received': 'received' }, ExpressionAttributeValues: { ':held': sign * held } }),
        ),
      ),
    );
  const byRegion = (rows: typeof written) => [...new Set(rows.map((entry) => entry.region))].map((region) => ({ region, rows: rows.filter((entry) => entry.region === region) }));

  const write = await timed(async () => {
    for (const { region, rows } of byRegion(written)) await batchWrite(documents(region), rows.map(({ table, row }) => ({ table, request: { PutRequest: { Item: row } } })));
    await adjustReceived(1);
  });
  console.log(`\ndeployed (${deployment.target.name} at ${process.env.DUCKSTORE_ENDPOINT}): bulk-wrote ${orderCount} sagas, ${written.length} rows, with BatchWriteItem in ${ms(write.ms)}`);

  try {
    for (const segments of segmentCounts) {
      const ports = auditPortsOf(deployment, { segments });
      const read: number[] = [];
      const check: number[] = [];
      const total: number[] = [];
      let report: AuditReport | undefined;
      for (let run = 0; run < runs; run++) {
        const started = performance.now();
        const snapshot = await timed(() => ports.readSnapshot());
        const audited = await timed(() => audit(snapshot.value, { now: new Date(), outboxBound: 120, grace: 60 }));
        read.push(snapshot.ms);
        check.push(audited.ms);
        total.push(performance.now() - started);
        report = audited.value;
      }
      ports.destroy();
      console.log(
        `  ${segments} segment(s): read median ${ms(median(read))} [${read.map(ms).join(', ')}], audit median ${ms(median(check))}, ` +
          `read + audit median ${ms(median(total))}; ${report!.counts.orders.total} orders in the tables, ${summary(report!)}`,
      );
    }
  } finally {
    if (!values.keep) {
      const removal = await timed(async () => {
        for (const { region, rows } of byRegion(written)) await batchWrite(documents(region), rows.map(({ table, row }) => ({ table, request: { DeleteRequest: { Key: { pk: row.pk } } } })));
        await adjustReceived(-1);
      });
      console.log(`  removed the synthetic rows again in ${ms(removal.ms)}`);
    }
    for (const client of clients.values()) client.destroy();
  }
}

await pure();
if (process.env.DUCKSTORE_ENDPOINT) await deployed();
else console.log('\n(set DUCKSTORE_ENDPOINT to a local cloud with DuckStore deployed to measure the full read + audit)');
