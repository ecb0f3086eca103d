import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { logger } from './powertools';
import { controlsKey, controlsTableVariable, readControlsDocument, type Controls } from '#contracts/controls';

export * from '#contracts/controls';

/**
 * The region's run-time control document: faults to inject, the resilience
 * profile of the payments client, the provider simulator's faults. It is one
 * item of a small DynamoDB table that exists only when the app is deployed
 * with `-c duckstore:faultInjection=true`; the operator CLI (`duckstore
 * faults`, cli/faults.ts) writes it, the functions read it, cached briefly, so
 * a change takes effect within seconds and without a redeploy.
 */

/** Parses a stored document; an unreadable one means "no controls" rather than a broken system. */
export function parseControls(item: unknown): Controls {
  const { controls, issues } = readControlsDocument(item);
  if (issues) logger.warn('control document ignored: it does not match the schema', { issues });
  return controls;
}

const defaultMaxAgeMs = 2_000;
const tableName = process.env[controlsTableVariable] || undefined;
// Its own client, not the shared traced one: that one carries the commit fault points (faults.ts), which read these controls.
let client: DynamoDBClient | undefined;
const controlsClient = (): DynamoDBClient => (client ??= new DynamoDBClient({}));
/**
 * A cache of the control document: read at most once per `maxAgeMs`
 * (concurrent callers share one read); a failed read keeps the last
 * document (or none), so the controls never take the system down.
 */
export function controlsCache(read: () => Promise<unknown>, clock: () => number = Date.now) {
  let cached: { controls: Controls; readAt: number } | undefined;
  let reading: Promise<Controls> | undefined;
  const refresh = async (): Promise<Controls> => {
    const readAt = clock();
    try {
      cached = { controls: parseControls(await read()), readAt };
    } catch (error) {
      logger.warn('control document unreadable; keeping the last one', { error });
      cached = { controls: cached?.controls ?? { faults: [] }, readAt };
    }
    return cached.controls;
  };
  return (maxAgeMs = defaultMaxAgeMs): Promise<Controls> => {
    if (cached && clock() - cached.readAt < maxAgeMs) return Promise.resolve(cached.controls);
    reading ??= refresh().finally(() => (reading = undefined));
    return reading;
  };
}

const cachedControls =
  tableName &&
  controlsCache(async () => {
    const { Item } = await controlsClient().send(new GetItemCommand({ TableName: tableName, Key: marshall(controlsKey), ConsistentRead: true }));
    return Item && unmarshall(Item);
  });

/**
 * The region's current controls, read at most once per `maxAgeMs` (≈2 s) per
 * execution environment. Without fault injection deployed it answers
 * `{ faults: [] }` at once, with no AWS call.
 */
export async function currentControls(options: { maxAgeMs?: number } = {}): Promise<Controls> {
  return cachedControls ? cachedControls(options.maxAgeMs) : { faults: [] };
}

/** Whether this function was deployed with fault injection (the controls table in its environment). */
export const faultInjectionDeployed = (): boolean => tableName !== undefined;
