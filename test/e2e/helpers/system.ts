import { existsSync, statSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteScheduleCommand, GetScheduleCommand, SchedulerClient, type GetScheduleCommandOutput } from '@aws-sdk/client-scheduler';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { ContextName } from '#contracts/envelope';
import { OrdersApiClient } from '../../../cli/api-client';
import { providerAuthorization } from '../../../cli/provider-secret';
import { discoverDeployment, ordersApiUrl, providerUrl, regionDeploymentOf, resourceOf, stateTableOf, type Deployment } from '../../../cli/deployment';
import { clearAllFaults, mappingOf, setMappingEnabled } from '../../../cli/faults';
import { queueDepths, type QueueDepth } from '../../../cli/queues';
import { readTopology, resolveTarget } from '../../../cli/targets';
import { regionOf } from '../../../lib/topology';
import { cloudPaths, portOf, readRange } from '../../../local/paths';

/**
 * The deployed system under test, found the way the operator CLI finds it
 * (CloudFormation), so the suite runs unchanged against local, localstack or
 * aws: DUCKSTORE_TARGET picks the target (default local), DUCKSTORE_ENDPOINT
 * the emulator's endpoint (the global setup sets both for the local cloud).
 */
export class System {
  private constructor(
    readonly deployment: Deployment,
    readonly api: OrdersApiClient,
  ) {}

  static async connect(): Promise<System> {
    const deployment = await discoverDeployment(resolveTarget(process.env.DUCKSTORE_TARGET ?? 'local'), readTopology());
    return new System(deployment, new OrdersApiClient(ordersApiUrl(deployment), process.env.DUCKSTORE_TOKEN));
  }

  region(context: ContextName): string {
    return regionOf(this.deployment.topology, context);
  }

  private documents(context: ContextName) {
    return DynamoDBDocumentClient.from(new DynamoDBClient(this.deployment.target.aws(this.region(context))));
  }

  stateTable(context: ContextName): string {
    return stateTableOf(this.deployment, context);
  }

  /** A context's queue URL: `Consumer` for its consumer queue, `ConsumerDeadLetters` for that queue's DLQ. */
  queueUrl(context: ContextName, suffix: 'Consumer' | 'ConsumerDeadLetters'): string {
    const prefix = `${context[0]!.toUpperCase()}${context.slice(1)}${suffix}`;
    const region = regionDeploymentOf(this.deployment, context);
    const queue = region.resources.find((resource) => resource.type === 'AWS::SQS::Queue' && new RegExp(`^${prefix}Queue[0-9A-F]{8}$`).test(resource.logicalId));
    if (!queue) throw new Error(`no queue ${prefix} in ${region.stackName}`);
    return queue.physicalId;
  }

  sqs(context: ContextName): SQSClient {
    return new SQSClient(this.deployment.target.aws(this.region(context)));
  }

  async row(context: ContextName, pk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.documents(context).send(new GetCommand({ TableName: this.stateTable(context), Key: { pk }, ConsistentRead: true }));
    return Item;
  }

  /** Every row of a context's table matching a predicate (a Scan: fine for a test deployment). */
  async rows(context: ContextName, predicate: (row: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for await (const page of paginateScan({ client: this.documents(context) }, { TableName: this.stateTable(context), ConsistentRead: true })) {
      found.push(...(page.Items ?? []).filter(predicate));
    }
    return found;
  }

  async available(sku: string): Promise<number> {
    const row = await this.row('inventory', `SKU#${sku}`);
    return Number(row?.available ?? 0);
  }

  /** Sends raw message bodies straight to a context's consumer queue, in one batch. */
  async sendToQueue(context: ContextName, bodies: string[]): Promise<void> {
    await this.sqs(context).send(
      new SendMessageBatchCommand({ QueueUrl: this.queueUrl(context, 'Consumer'), Entries: bodies.map((MessageBody, index) => ({ Id: String(index), MessageBody })) }),
    );
  }

  /**
   * Cuts the delivery of `from`'s events to `to`, as a partition between
   * their regions would: the mapping of the forwarder that carries them
   * across is disabled, so they wait in its queue. When both contexts run in
   * one region there is no forwarder, and `to`'s own consumer stops instead.
   */
  async partition(from: ContextName, to: ContextName): Promise<Partition> {
    const [fromRegion, toRegion] = [this.region(from), this.region(to)];
    const functionName =
      fromRegion === toRegion
        ? resourceOf(this.deployment, to, 'AWS::Lambda::Function', `${capitalized(to)}ConsumerFunction`)
        : resourceOf(this.deployment, from, 'AWS::Lambda::Function', `ForwardTo${toRegion.replace(/-/g, '')}ForwardingFunction`);
    const region = fromRegion === toRegion ? toRegion : fromRegion;
    // The one way to switch a mapping, shared with `duckstore faults` (cli/faults.ts).
    const uuid = await mappingOf(this.deployment, region, functionName);
    await setMappingEnabled(this.deployment, region, uuid, false);
    return {
      description: `${functionName} (${region}) stopped polling`,
      heal: () => setMappingEnabled(this.deployment, region, uuid, true),
    };
  }

  /** Every ledger row the payment provider (simulator) holds for an order, all pages. */
  async ledger(orderId: string): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ orderId, ...(cursor ? { cursor } : {}) });
      const response = await fetch(`${providerUrl(this.deployment)}/v1/ledger?${query}`, { headers: await providerAuthorization(this.deployment), signal: AbortSignal.timeout(15_000) });
      if (response.status !== 200) throw new Error(`ledger query answered ${response.status}: ${await response.text()}`);
      const page = (await response.json()) as { items: LedgerEntry[]; nextCursor?: string };
      entries.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return entries;
  }

  /** Depth of every queue and DLQ in every region. */
  queues(): Promise<QueueDepth[]> {
    return queueDepths(this.deployment);
  }

  /**
   * Waits until every working queue of every region is empty with nothing in
   * flight, twice in a row (a consumer may be between one hop and the next),
   * and returns the depths then, DLQs included.
   */
  async drained(timeoutMs = 90_000): Promise<QueueDepth[]> {
    let quietPolls = 0;
    let depths: QueueDepth[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      depths = await this.queues();
      const busy = depths.filter((queue) => !queue.isDeadLetterQueue && queue.visible + queue.inFlight > 0);
      quietPolls = busy.length === 0 ? quietPolls + 1 : 0;
      if (quietPolls >= 2) return depths;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    throw new Error(`queues still busy after ${timeoutMs / 1000} s: ${JSON.stringify(depths.filter((queue) => queue.visible + queue.inFlight > 0))}`);
  }

  private scheduler(): SchedulerClient {
    return new SchedulerClient(this.deployment.target.aws(this.region('orders')));
  }

  /** The schedule group that holds the orders' deadline timers. */
  timerGroup(): string {
    return resourceOf(this.deployment, 'orders', 'AWS::Scheduler::ScheduleGroup', 'OrdersDeadlinesTimers');
  }

  /** An order's deadline timer (a one-time schedule named after it), or undefined when there is none. */
  async timer(orderId: string): Promise<GetScheduleCommandOutput | undefined> {
    try {
      return await this.scheduler().send(new GetScheduleCommand({ Name: orderId, GroupName: this.timerGroup() }));
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  /** Deletes an order's deadline timer, as if it had been lost: only the sweep can end the order then. */
  async loseTimer(orderId: string): Promise<void> {
    await this.scheduler().send(new DeleteScheduleCommand({ Name: orderId, GroupName: this.timerGroup() }));
  }

  /**
   * Waits for a message in a context's DLQ that satisfies `match`, deletes it
   * (so later checks see an empty DLQ) and returns it with its attributes.
   */
  async takeFromDeadLetters(context: ContextName, match: (message: Message) => boolean, timeoutMs = 60_000): Promise<Message | undefined> {
    const sqs = this.sqs(context);
    const url = this.queueUrl(context, 'ConsumerDeadLetters');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 5, MessageAttributeNames: ['All'] }));
      const found = Messages.find(match);
      if (found) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: found.ReceiptHandle! }));
        return found;
      }
    }
    return undefined;
  }
}

/** A cut in event delivery made by `System.partition`; `heal()` undoes it (call it in a finally). */
export interface Partition {
  /** What was cut, for failure messages. */
  description: string;
  heal(): Promise<void>;
}

/** A row of the payment provider simulator's ledger, as `GET /v1/ledger` returns it. */
export interface LedgerEntry {
  orderId: string;
  amountCents: number;
  status: 'AUTHORIZED' | 'DECLINED' | 'REFUNDED';
  authorizationId: string;
}

/**
 * The JSON lines the local cloud's functions logged (ministack writes every
 * function's output to its log) after byte `from`, with the offset to read on from:
 * proof that something happened inside a function, where the outcome alone
 * would not show it. Empty on other targets, which have no such log.
 */
export function functionLogLines(deployment: Deployment, from = 0): { lines: Record<string, unknown>[]; end: number } {
  if (deployment.target.name !== 'local') return { lines: [], end: 0 };
  const log = cloudPaths(portOf(process.env.DUCKSTORE_ENDPOINT ?? 'http://127.0.0.1:4566')).log;
  if (!existsSync(log)) throw new Error(`the local cloud's log ${log} does not exist`);
  const text = readRange(log, from, statSync(log).size);
  // Up to the last complete line: a line still being written is read whole next time.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const lines = complete
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { lines, end: from + Buffer.byteLength(complete) };
}

/** What the provider holds for an order: authorizations not refunded (declined ones never charged). */
export const netChargeCents = (entries: LedgerEntry[]): number => entries.filter((entry) => entry.status === 'AUTHORIZED').reduce((sum, entry) => sum + entry.amountCents, 0);

const capitalized = (context: ContextName) => `${context[0]!.toUpperCase()}${context.slice(1)}`;

/** Polls `probe` until it returns a value other than undefined, or the timeout passes. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 500): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * For an e2e file that switches run-time faults on: connects once, and clears
 * every fault before the file and after each test, whatever happened, so no
 * fault outlives its test into the next file (they share one cloud).
 */
export function connectClearingFaults(): () => System {
  let system: System | undefined;
  beforeAll(async () => {
    system = await System.connect();
    await clearAllFaults(system.deployment);
  });
  afterEach(async () => {
    if (system) await clearAllFaults(system.deployment);
  });
  return () => {
    if (!system) throw new Error('connectClearingFaults(): the system is connected in beforeAll; use it inside a test');
    return system;
  };
}
