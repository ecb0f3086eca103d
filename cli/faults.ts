import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteFunctionConcurrencyCommand,
  GetEventSourceMappingCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ContextName } from '#contracts/envelope';
import {
  controlsKey,
  functionFaultSchema,
  providerFaultsSchema,
  readControlsDocument,
  sagaDeadlineOverrideSchema,
  type Controls,
  type FunctionFault,
  type ProviderFaults,
} from '#contracts/controls';
import { regionOf } from '../lib/topology';
import { regionDeploymentOf, resourceOf, type Deployment, type RegionDeployment } from './deployment';
import { NotDeployedError } from './errors';
import { UsageError } from './targets';

export type { FunctionFault, ProviderFaults } from '#contracts/controls';
export { functionFaultKinds } from '#contracts/controls';

/** The stack output that names a region's control table (lib/constructs/fault-controls.ts). */
export const controlsTableOutput = 'ControlsTableName';

function controlsTableOf(region: RegionDeployment): string {
  const table = region.outputs[controlsTableOutput];
  if (!table) {
    throw new NotDeployedError(
      `${region.stackName} has no fault controls: deploy it with \`-c duckstore:faultInjection=true\` (the local deploy does) to switch faults at run time`,
    );
  }
  return table;
}

const documents = (deployment: Deployment, region: string) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(region)), { marshallOptions: { removeUndefinedValues: true } });

/** Sets (or, with undefined, removes) one field of a region's control document; other fields are left as they are. */
async function setControl(deployment: Deployment, region: RegionDeployment, field: keyof Controls, value: unknown): Promise<void> {
  const client = documents(deployment, region.region);
  const common = { TableName: controlsTableOf(region), Key: controlsKey, ExpressionAttributeNames: { '#field': field } };
  await client.send(
    value === undefined
      ? new UpdateCommand({ ...common, UpdateExpression: 'REMOVE #field' })
      : new UpdateCommand({ ...common, UpdateExpression: 'SET #field = :value', ExpressionAttributeValues: { ':value': value } }),
  );
}

/** The control document of one region. */
export async function getControls(deployment: Deployment, region: string): Promise<Controls> {
  const found = deployment.regions.find((candidate) => candidate.region === region);
  if (!found) throw new NotDeployedError(`no stack discovered in ${region}`);
  const { Item } = await documents(deployment, region).send(new GetCommand({ TableName: controlsTableOf(found), Key: controlsKey, ConsistentRead: true }));
  const { controls, issues } = readControlsDocument(Item);
  if (issues) throw new Error(`the control document in ${region} does not match its schema (${issues.join('; ')}); \`duckstore faults clear\` resets it`);
  return controls;
}

/** The provider simulator runs next to payments; its faults live in that region's document. */
const providerRegion = (deployment: Deployment) => regionDeploymentOf(deployment, 'payments');

export async function setProviderFaults(deployment: Deployment, faults: ProviderFaults): Promise<void> {
  const valid = providerFaultsSchema.parse(faults);
  const isOff = Object.values(valid).every((value) => value === undefined || value === false || value === 0);
  await setControl(deployment, providerRegion(deployment), 'provider', isOff ? undefined : valid);
}

export async function getProviderFaults(deployment: Deployment): Promise<ProviderFaults> {
  return (await getControls(deployment, providerRegion(deployment).region)).provider ?? {};
}

/**
 * Replaces the function faults. Every region gets the same plan: each fault
 * names its target (a context or function), and only matching functions act on it.
 */
export async function setFunctionFaults(deployment: Deployment, faults: FunctionFault[]): Promise<void> {
  const valid = faults.map((fault) => functionFaultSchema.parse(fault));
  await Promise.all(deployment.regions.map((region) => setControl(deployment, region, 'faults', valid.length > 0 ? valid : undefined)));
}

/** The payments client's resilience profile (functions/shared/resilience/profiles.ts); undefined restores the default. */
export async function setResilienceProfile(deployment: Deployment, profile: string | undefined): Promise<void> {
  await Promise.all(deployment.regions.map((region) => setControl(deployment, region, 'resilienceProfile', profile)));
}

/** Whether the payments client sends its Idempotency-Key to the provider (off only to show what goes wrong without it). */
export async function setProviderIdempotency(deployment: Deployment, enabled: boolean): Promise<void> {
  // Enabled is the default: store nothing rather than `true`, so a cleared document means "as deployed".
  await Promise.all(deployment.regions.map((region) => setControl(deployment, region, 'providerIdempotency', enabled ? undefined : false)));
}

/**
 * The saga deadline of the orders placed from now on (experiments: the AWS
 * default of 300 s on a local cloud deployed with 30 s); undefined restores
 * the deployed one. Only the orders API reads it: every other participant
 * takes an order's deadline from its events.
 */
export async function setSagaDeadline(deployment: Deployment, seconds: number | undefined): Promise<void> {
  const value = seconds === undefined ? undefined : sagaDeadlineOverrideSchema.parse(seconds);
  await setControl(deployment, regionDeploymentOf(deployment, 'orders'), 'sagaDeadlineSeconds', value);
}

/** Every run-time control back to as deployed: no provider or function fault, the default resilience profile, provider idempotency on, the deployed saga deadline. */
export async function clearAllFaults(deployment: Deployment): Promise<void> {
  await Promise.all(
    deployment.regions.map(async (region) => {
      const client = documents(deployment, region.region);
      await client.send(
        new UpdateCommand({
          TableName: controlsTableOf(region),
          Key: controlsKey,
          UpdateExpression: 'REMOVE #faults, #provider, #profile, #idempotency, #deadline',
          ExpressionAttributeNames: { '#faults': 'faults', '#provider': 'provider', '#profile': 'resilienceProfile', '#idempotency': 'providerIdempotency', '#deadline': 'sagaDeadlineSeconds' },
        }),
      );
    }),
  );
}

/*
 * Infrastructure faults: done to the deployment's resources with the Lambda
 * API, so they need no fault injection deployed and work wherever the API does.
 */

const capitalized = (context: string) => `${context[0]!.toUpperCase()}${context.slice(1)}`;

/** A context's SQS consumer function (construct `<Context>/Consumer/Function`). */
export function consumerFunctionOf(deployment: Deployment, context: ContextName): { region: string; functionName: string } {
  return { region: regionOf(deployment.topology, context), functionName: resourceOf(deployment, context, 'AWS::Lambda::Function', `${capitalized(context)}ConsumerFunction`) };
}

/** The forwarders of every region: the only path of events from one region's bus to another's. */
export function forwarderFunctionsOf(deployment: Deployment): { region: string; functionName: string }[] {
  return deployment.regions.flatMap((region) =>
    region.resources
      .filter((resource) => resource.type === 'AWS::Lambda::Function' && /^ForwardTo[a-z0-9]+ForwardingFunction[0-9A-F]{8}$/.test(resource.logicalId))
      .map((resource) => ({ region: region.region, functionName: resource.physicalId })),
  );
}

const lambdaClient = (deployment: Deployment, region: string) => new LambdaClient(deployment.target.aws(region));

/** The event source mapping (SQS → function) of a function: each DuckStore consumer and forwarder has exactly one. */
export async function mappingOf(deployment: Deployment, region: string, functionName: string): Promise<string> {
  const { EventSourceMappings = [] } = await lambdaClient(deployment, region).send(new ListEventSourceMappingsCommand({ FunctionName: functionName }));
  const [mapping, ...others] = EventSourceMappings;
  if (!mapping?.UUID || others.length > 0) throw new Error(`expected one event source mapping for ${functionName} in ${region}, found ${EventSourceMappings.length}`);
  return mapping.UUID;
}

/** A mapping's state as Lambda reports it: Enabled, Disabled, or on AWS Enabling/Disabling/Updating on the way. */
export async function mappingState(deployment: Deployment, region: string, uuid: string): Promise<string | undefined> {
  return (await lambdaClient(deployment, region).send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
}

/** Enables or disables a mapping and waits until Lambda reports it so (on AWS it passes through Enabling/Disabling). */
export async function setMappingEnabled(deployment: Deployment, region: string, uuid: string, enabled: boolean, timeoutMs = 90_000): Promise<void> {
  const lambda = lambdaClient(deployment, region);
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
  const wanted = enabled ? 'Enabled' : 'Disabled';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (State === wanted) return;
    if (Date.now() >= deadline) throw new Error(`event source mapping ${uuid} in ${region} did not become ${wanted} (it is ${State})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function setFunctionPolling(deployment: Deployment, fn: { region: string; functionName: string }, enabled: boolean): Promise<void> {
  await setMappingEnabled(deployment, fn.region, await mappingOf(deployment, fn.region, fn.functionName), enabled);
}

/** Stops a context's consumer from polling its queue: its events wait there (a backlog) until `resumeConsumer`. */
export async function pauseConsumer(deployment: Deployment, context: ContextName): Promise<void> {
  await setFunctionPolling(deployment, consumerFunctionOf(deployment, context), false);
}

export async function resumeConsumer(deployment: Deployment, context: ContextName): Promise<void> {
  await setFunctionPolling(deployment, consumerFunctionOf(deployment, context), true);
}

/**
 * Cuts every region off from the others' buses, as a partition does: the
 * forwarders stop, so cross-region events wait in their forwarding queues
 * (durably, with their DLQs behind them) until `healPartition`. This is what a
 * partition looks like to a buffered forwarder on AWS too, and unlike pointing
 * the forwarders at an unreachable endpoint it needs no redeploy and spends no
 * receives of the messages, which would otherwise end in the DLQ.
 */
export async function partitionRegions(deployment: Deployment): Promise<void> {
  const forwarders = forwarderFunctionsOf(deployment);
  if (forwarders.length === 0) throw new UsageError('the topology has one region: there is no cross-region link to partition');
  await Promise.all(forwarders.map((fn) => setFunctionPolling(deployment, fn, false)));
}

export async function healPartition(deployment: Deployment): Promise<void> {
  await Promise.all(forwarderFunctionsOf(deployment).map((fn) => setFunctionPolling(deployment, fn, true)));
}

/**
 * Throttles a context's consumer to `maxConcurrency` concurrent executions
 * with reserved concurrency (0 stops it entirely), or removes the limit when
 * undefined. Reserved concurrency rather than the mapping's
 * MaximumConcurrency: the mapping's is what protects a consumer (it is set
 * on every DuckStore consumer), reserved concurrency is what an account
 * limit or a noisy neighbour takes away, and what Lambda throttles on.
 */
export async function throttleConsumer(deployment: Deployment, context: ContextName, maxConcurrency: number | undefined): Promise<void> {
  const { region, functionName } = consumerFunctionOf(deployment, context);
  const lambda = lambdaClient(deployment, region);
  if (maxConcurrency === undefined) {
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: functionName }));
    return;
  }
  if (!Number.isSafeInteger(maxConcurrency) || maxConcurrency < 0) throw new UsageError(`maximum concurrency must be a whole number ≥ 0, got ${maxConcurrency}`);
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: maxConcurrency }));
}

/** The reserved concurrency of a context's consumer, or undefined when it has none (not throttled). */
export async function consumerThrottle(deployment: Deployment, context: ContextName): Promise<number | undefined> {
  const { region, functionName } = consumerFunctionOf(deployment, context);
  const { ReservedConcurrentExecutions } = await lambdaClient(deployment, region).send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
  return ReservedConcurrentExecutions;
}

/** Undoes every infrastructure fault: every consumer resumed and unthrottled, the forwarders polling again. */
export async function healInfrastructure(deployment: Deployment): Promise<void> {
  const contexts = deployment.regions.flatMap((region) => region.contexts as ContextName[]);
  await Promise.all(
    contexts.map(async (context) => {
      await resumeConsumer(deployment, context);
      await throttleConsumer(deployment, context, undefined);
    }),
  );
  if (deployment.regions.length > 1) await healPartition(deployment);
}
