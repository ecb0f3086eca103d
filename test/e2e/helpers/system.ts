import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { ContextName } from '#contracts/envelope';
import { OrdersApiClient } from '../../../cli/api-client';
import { discoverDeployment, ordersApiUrl, regionDeploymentOf, stateTableOf, type Deployment } from '../../../cli/deployment';
import { readTopology, resolveTarget } from '../../../cli/targets';
import { regionOf } from '../../../lib/topology';

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

/** Polls `probe` until it returns a value other than undefined, or the timeout passes. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 500): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
