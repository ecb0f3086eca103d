import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

/**
 * SDK clients, created once per execution environment and traced. Clients are
 * lazy so that a function pays only for the clients it uses at cold start,
 * and marked pure so that esbuild leaves the unused ones out of the bundle.
 */
function lazy<T>(create: () => T): () => T {
  let instance: T | undefined;
  return () => (instance ??= create());
}

export const dynamoDb = /* @__PURE__ */ lazy(() => tracer.captureAWSv3Client(new DynamoDBClient({})));
export const documentClient = /* @__PURE__ */ lazy(() =>
  DynamoDBDocumentClient.from(dynamoDb(), { marshallOptions: { removeUndefinedValues: true } }),
);
export const sqs = /* @__PURE__ */ lazy(() => tracer.captureAWSv3Client(new SQSClient({})));
export const scheduler = /* @__PURE__ */ lazy(() => tracer.captureAWSv3Client(new SchedulerClient({})));

/** One EventBridge client per region: cross-region forwarding writes to the other region's bus. */
const eventBridgeClients = new Map<string, EventBridgeClient>();
export function eventBridge(region?: string): EventBridgeClient {
  const key = region ?? '';
  let client = eventBridgeClients.get(key);
  if (!client) {
    client = tracer.captureAWSv3Client(new EventBridgeClient(region ? { region } : {}));
    eventBridgeClients.set(key, client);
  }
  return client;
}
