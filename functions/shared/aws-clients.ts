import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withCommitFaults } from './faults';
import { tracer } from './powertools';
import { countingRequests, countRequestsOf } from './request-counter';

/**
 * SDK clients, created once per execution environment and traced. Clients are
 * lazy so that a function pays only for the clients it uses at cold start,
 * and marked pure so that esbuild leaves the unused ones out of the bundle.
 */
function lazy<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => (instance ??= create());
}

/** Counts the client's requests for `duckstore bench` when DUCKSTORE_COUNT_REQUESTS=1 (see request-counter.ts); otherwise the client itself. */
const counted = <T extends { middlewareStack: unknown }>(client: T, service: string): T => (countingRequests ? countRequestsOf(client, service) : client);

// With fault injection deployed, commits can be made to crash before or after they happen (faults.ts, docs/faults.md).
export const dynamoDb = /* @__PURE__ */ lazy(() => withCommitFaults(counted(tracer.captureAWSv3Client(new DynamoDBClient({})), 'DynamoDB')));
export const documentClient = /* @__PURE__ */ lazy(() =>
  DynamoDBDocumentClient.from(dynamoDb(), { marshallOptions: { removeUndefinedValues: true } }),
);
export const sqs = /* @__PURE__ */ lazy(() => counted(tracer.captureAWSv3Client(new SQSClient({})), 'SQS'));
/** For consumers that pause their own event source mapping and re-invoke themselves to probe (shared-breaker.ts). */
export const lambda = /* @__PURE__ */ lazy(() => counted(tracer.captureAWSv3Client(new LambdaClient({})), 'Lambda'));
export const scheduler = /* @__PURE__ */ lazy(() => counted(tracer.captureAWSv3Client(new SchedulerClient({})), 'Scheduler'));
/** For the merchant secret, read through Powertools Parameters (secret.ts). */
export const secretsManager = /* @__PURE__ */ lazy(() => counted(tracer.captureAWSv3Client(new SecretsManagerClient({})), 'SecretsManager'));

/** One EventBridge client per region: cross-region forwarding writes to the other region's bus. */
const eventBridgeClients = new Map<string, EventBridgeClient>();
export function eventBridge(region?: string): EventBridgeClient {
  const key = region ?? '';
  let client = eventBridgeClients.get(key);
  if (!client) {
    client = counted(tracer.captureAWSv3Client(new EventBridgeClient(region ? { region } : {})), 'EventBridge');
    eventBridgeClients.set(key, client);
  }
  return client;
}
