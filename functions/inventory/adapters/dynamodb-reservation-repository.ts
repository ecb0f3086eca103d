import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { skuSchema } from '#contracts/primitives';
import { scanAll } from '#shared/scan';
import { documentClient } from '#shared/aws-clients';
import { recordBusinessMetric } from '#shared/metrics';
import type { OutboxEnvironment } from '#shared/outbox';
import { retryingConflicts } from '#shared/conflict-retry';
import { commitWithOutbox, failedConditions, outboxPuts, type TransactItem } from '#shared/transactions';
import type { ReservationRepository } from '../domain/ports';
import { reservationStatuses, type Reservation } from '../domain/reservation';

const skuKey = (sku: string) => ({ pk: `SKU#${sku}` });
const reservationKey = (orderId: string) => ({ pk: `RESERVATION#${orderId}` });

const lineSchema = z.object({ sku: z.string(), quantity: z.number().int().positive() });
/** Reads a row back into the domain type; unknown attributes (pk, kind) are stripped, a corrupt row fails loudly. */
const reservationRowSchema = z.object({
  orderId: z.string(),
  status: z.enum(reservationStatuses),
  lines: z.array(lineSchema),
  updatedAt: z.string(),
  history: z.array(z.object({ status: z.enum(reservationStatuses), at: z.string(), reason: z.string(), eventId: z.string() })).optional(),
}) satisfies z.ZodType<Reservation>;

const takeStock = (tableName: string, sku: string, quantity: number): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: skuKey(sku),
    // A missing SKU row fails this condition too: an unstocked SKU is unavailable.
    ConditionExpression: '#available >= :quantity',
    UpdateExpression: 'SET #available = #available - :quantity',
    ExpressionAttributeNames: { '#available': 'available' },
    ExpressionAttributeValues: { ':quantity': quantity },
  },
});

const giveStockBack = (tableName: string, sku: string, quantity: number): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: skuKey(sku),
    // An operator may have deleted the row meanwhile; recreating it keeps the stock we give back.
    UpdateExpression: 'SET #available = if_not_exists(#available, :zero) + :quantity, #kind = :kind, #sku = :sku',
    ExpressionAttributeNames: { '#available': 'available', '#kind': 'kind', '#sku': 'sku' },
    ExpressionAttributeValues: { ':quantity': quantity, ':zero': 0, ':kind': 'stock', ':sku': sku },
  },
});

const putNewReservation = (tableName: string, reservation: Reservation): TransactItem => ({
  Put: { TableName: tableName, Item: { ...reservationKey(reservation.orderId), kind: 'reservation', ...reservation }, ConditionExpression: 'attribute_not_exists(pk)' },
});

/** `client` defaults to the traced singleton; tests pass a fake that records commands. */
export function dynamoDbReservationRepository(
  tableName: string,
  environment: OutboxEnvironment,
  client: Pick<DynamoDBDocumentClient, 'send'> = documentClient(),
): ReservationRepository {
  return {
    async get(orderId) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: reservationKey(orderId), ConsistentRead: true }));
      return Item && reservationRowSchema.parse(Item);
    },

    async reserve(reservation, events, cause) {
      const { lines } = reservation;
      const TransactItems = [
        ...lines.map((line) => takeStock(tableName, line.sku, line.quantity)),
        putNewReservation(tableName, reservation),
        ...outboxPuts(tableName, events, cause, environment),
      ];
      try {
        // Every order for a hot SKU updates its one stock row: concurrent reservations conflict, and are retried here.
        await retryingConflicts(() => client.send(new TransactWriteCommand({ TransactItems })));
        return { kind: 'reserved' };
      } catch (error) {
        const failed = failedConditions(error);
        // Throttling, a conflict that outlasted the retries or a validation error: not ours to judge, SQS retries.
        if (!failed || failed.length === 0) throw error;
        if (failed.includes(lines.length)) return { kind: 'exists' };
        if (failed.some((index) => index > lines.length)) throw error;
        return { kind: 'unavailable', skus: failed.map((index) => lines[index]!.sku) };
      }
    },

    async record(reservation, events, cause) {
      return commitWithOutbox(client, { tableName, items: [putNewReservation(tableName, reservation)], events, cause, environment });
    },

    async release(reservation, entry, events, cause) {
      const released = await commitWithOutbox(client, {
        tableName,
        items: [
          {
            Update: {
              TableName: tableName,
              Key: reservationKey(reservation.orderId),
              ConditionExpression: '#status = :held',
              UpdateExpression: 'SET #status = :released, #updatedAt = :at, #history = list_append(if_not_exists(#history, :none), :entry)',
              ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#history': 'history' },
              ExpressionAttributeValues: { ':held': 'HELD', ':released': entry.status, ':at': entry.at, ':none': [], ':entry': [entry] },
            },
          },
          ...reservation.lines.map((line) => giveStockBack(tableName, line.sku, line.quantity)),
        ],
        events,
        cause,
        environment,
      });
      if (released) recordBusinessMetric('compensations', 1, { orderId: reservation.orderId, dimensions: { action: 'ReleaseReservation' } });
      return released;
    },
  };
}

const stockSchema = z.object({ sku: skuSchema, available: z.number().int().nonnegative() });
const storedStockSchema = z.object({ available: z.number().int(), received: z.number().int().optional() });

/** Thrown when reservations keep moving a SKU's stock while it is being set. */
export class StockContentionError extends Error {
  override readonly name = 'StockContentionError';
  constructor(sku: string) {
    super(`the stock of ${sku} kept changing while it was being set; set it again when the store is quieter`);
  }
}

/** What HELD reservations hold of `sku`, counted by a Scan: only for a row that has no `received` yet. */
async function heldOf(tableName: string, sku: string, client: Pick<DynamoDBDocumentClient, 'send'>): Promise<number> {
  const reservations = await scanAll(client, {
    TableName: tableName,
    ConsistentRead: true,
    FilterExpression: 'begins_with(#pk, :reservation) AND #status = :held',
    ProjectionExpression: '#lines',
    ExpressionAttributeNames: { '#pk': 'pk', '#status': 'status', '#lines': 'lines' },
    ExpressionAttributeValues: { ':reservation': 'RESERVATION#', ':held': 'HELD' },
  });
  return reservations
    .flatMap((item) => (item.lines ?? []) as { sku: string; quantity: number }[])
    .filter((line) => line.sku === sku)
    .reduce((sum, line) => sum + line.quantity, 0);
}

/**
 * Sets a SKU's available stock, for the operator CLI and the seed, and keeps
 * `received` (all stock ever received) in step with it: `received` moves by
 * as much as `available` does, so `received − available`, which is what the
 * HELD reservations hold (or sold), is unchanged. That is the equation the
 * invariant auditor checks per SKU, and it survives any reset. (Overwriting
 * `received` with the new quantity instead would count the stock out in
 * reservations twice; computing it from the reservations on every call
 * would cost a Scan per SKU.) The write is conditional on the values read, so
 * a reservation or release committed meanwhile makes it read again instead of
 * being overwritten. A row written before `received` existed gets it from the
 * HELD reservations, counted once by a Scan.
 */
export async function setStock(
  tableName: string,
  sku: string,
  available: number,
  client: Pick<DynamoDBDocumentClient, 'send'> = documentClient(),
): Promise<void> {
  const row = stockSchema.parse({ sku, available });
  for (let attempt = 0; attempt < 5; attempt++) {
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: skuKey(row.sku), ConsistentRead: true }));
    const stored = Item ? storedStockSchema.parse(Item) : undefined;
    const received = stored?.received !== undefined ? stored.received + (row.available - stored.available) : row.available + (await heldOf(tableName, row.sku, client));
    const unchanged = stored
      ? {
          ConditionExpression: `#available = :available AND ${stored.received === undefined ? 'attribute_not_exists(#received)' : '#received = :received'}`,
          ExpressionAttributeNames: { '#available': 'available', '#received': 'received' },
          ExpressionAttributeValues: { ':available': stored.available, ...(stored.received === undefined ? {} : { ':received': stored.received }) },
        }
      : { ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      await client.send(new PutCommand({ TableName: tableName, Item: { ...skuKey(row.sku), kind: 'stock', ...row, received }, ...unchanged }));
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  throw new StockContentionError(row.sku);
}
