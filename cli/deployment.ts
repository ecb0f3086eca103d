import { CloudFormationClient, DescribeStacksCommand, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import type { ContextName } from '#contracts/envelope';
import { contextsIn, deployedRegions, regionOf, stackName, type Topology } from '../lib/topology';
import { isUnreachable, NotDeployedError, TargetUnreachableError } from './errors';
import type { Target } from './targets';

export interface StackResource {
  type: string;
  logicalId: string;
  /** Queue URL for a queue, function name for a function, table name for a table. */
  physicalId: string;
}

export interface RegionDeployment {
  region: string;
  stackName: string;
  status: string;
  contexts: string[];
  outputs: Record<string, string>;
  resources: StackResource[];
}

/** What is deployed on a target, found through CloudFormation: nothing is configured by hand. */
export interface Deployment {
  target: Target;
  topology: Topology;
  regions: RegionDeployment[];
}

async function describeRegion(target: Target, topology: Topology, region: string): Promise<RegionDeployment> {
  const client = new CloudFormationClient(target.aws(region));
  const name = stackName(topology, region);
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: name }));
    const stack = Stacks?.[0];
    if (!stack) throw new NotDeployedError(`stack ${name} is not deployed in ${region} on target ${target.name}`);
    const resources: StackResource[] = [];
    for await (const page of paginateListStackResources({ client }, { StackName: name })) {
      for (const resource of page.StackResourceSummaries ?? []) {
        resources.push({ type: resource.ResourceType ?? '', logicalId: resource.LogicalResourceId ?? '', physicalId: resource.PhysicalResourceId ?? '' });
      }
    }
    return {
      region,
      stackName: name,
      status: stack.StackStatus ?? 'UNKNOWN',
      contexts: contextsIn(topology, region),
      outputs: Object.fromEntries((stack.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? ''])),
      resources,
    };
  } catch (error) {
    if (error instanceof NotDeployedError) throw error;
    if (isUnreachable(error)) throw new TargetUnreachableError(target, region, error);
    if (/does not exist/i.test((error as Error).message)) {
      throw new NotDeployedError(`stack ${name} is not deployed in ${region} on target ${target.name}; deploy it first (see README)`);
    }
    throw error;
  }
}

export async function discoverDeployment(target: Target, topology: Topology): Promise<Deployment> {
  const regions = await Promise.all(deployedRegions(topology).map((region) => describeRegion(target, topology, region)));
  return { target, topology, regions };
}

function outputOf(deployment: Deployment, region: string, key: string): string {
  const value = deployment.regions.find((candidate) => candidate.region === region)?.outputs[key];
  if (!value) throw new NotDeployedError(`output ${key} missing from ${stackName(deployment.topology, region)}; redeploy the stack`);
  return value;
}

/** The orders API base URL, as reachable on this target. */
export function ordersApiUrl(deployment: Deployment): string {
  const region = regionOf(deployment.topology, 'orders');
  return deployment.target.apiBaseUrl(outputOf(deployment, region, 'ApiId'), outputOf(deployment, region, 'ApiUrl'));
}

/** The payment provider simulator's base URL, as reachable on this target. */
export function providerUrl(deployment: Deployment): string {
  return deployment.target.functionUrl(outputOf(deployment, regionOf(deployment.topology, 'payments'), 'PaymentProviderUrl'));
}

/** The stack of the region that hosts `context`. */
export function regionDeploymentOf(deployment: Deployment, context: ContextName): RegionDeployment {
  const region = regionOf(deployment.topology, context);
  const found = deployment.regions.find((candidate) => candidate.region === region);
  if (!found) throw new NotDeployedError(`no stack discovered in ${region}, where ${context} runs`);
  return found;
}

/** The physical id of the one resource of `type` whose logical id starts with `prefix` (e.g. `InventoryTablesState`). */
export function resourceOf(deployment: Deployment, context: ContextName, type: string, prefix: string): string {
  const region = regionDeploymentOf(deployment, context);
  const matches = region.resources.filter((resource) => resource.type === type && resource.logicalId.startsWith(prefix));
  if (matches.length !== 1) throw new NotDeployedError(`expected one ${type} named ${prefix}* in ${region.stackName}, found ${matches.length}`);
  return matches[0]!.physicalId;
}

/** The name of a context's state table (construct `<Context>/Tables/State`). */
export const stateTableOf = (deployment: Deployment, context: ContextName): string =>
  resourceOf(deployment, context, 'AWS::DynamoDB::Table', `${context[0]!.toUpperCase()}${context.slice(1)}TablesState`);
