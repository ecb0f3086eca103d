import * as z from 'zod';
import { contextNames, type ContextName } from '../functions/contracts/envelope';
import { subscriptions } from '../functions/contracts/subscriptions';
import type { EventContract } from '../functions/contracts/envelope';

/** The cdk.json context key that holds the topology. */
export const topologyContextKey = 'duckstore:topology';

const regionName = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region name such as us-east-1');

/**
 * Where each bounded context runs. `regions` names the regions by role; every
 * context is placed in one of those roles. A one-region topology places every
 * context in the same role.
 */
export const topologySchema = z
  .object({
    regions: z.record(z.string().regex(/^[a-z][a-zA-Z0-9]*$/), regionName),
    contexts: z.object(Object.fromEntries(contextNames.map((name) => [name, z.string()])) as Record<ContextName, z.ZodString>).strict(),
  })
  .strict()
  .superRefine((topology, ctx) => {
    for (const [context, role] of Object.entries(topology.contexts)) {
      if (!(role in topology.regions)) ctx.addIssue({ code: 'custom', path: ['contexts', context], message: `region role "${role}" is not defined in regions` });
    }
    const regions = Object.values(topology.regions);
    if (new Set(regions).size !== regions.length) ctx.addIssue({ code: 'custom', path: ['regions'], message: 'two roles name the same region' });
  });
export type Topology = z.infer<typeof topologySchema>;

export class InvalidTopologyError extends Error {
  override readonly name = 'InvalidTopologyError';
}

export function parseTopology(value: unknown): Topology {
  const result = topologySchema.safeParse(typeof value === 'string' ? JSON.parse(value) : value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new InvalidTopologyError(`invalid "${topologyContextKey}" in cdk.json context: ${issues}`);
  }
  return result.data;
}

export const regionOf = (topology: Topology, context: ContextName): string => topology.regions[topology.contexts[context]]!;

/** The regions that host at least one context, in a stable order. */
export const deployedRegions = (topology: Topology): string[] => [...new Set(contextNames.map((context) => regionOf(topology, context)))];

export const contextsIn = (topology: Topology, region: string): ContextName[] => contextNames.filter((context) => regionOf(topology, context) === region);

/** Stacks are named after the region's role, so renaming a region does not rename the stack. */
export const stackName = (topology: Topology, region: string): string => {
  const role = Object.entries(topology.regions).find(([, name]) => name === region)?.[0];
  if (!role) throw new InvalidTopologyError(`region ${region} is not in the topology`);
  return `DuckStore-${role}`;
};

const producerOf = (contract: EventContract): ContextName => contract.source.replace('duckstore.', '') as ContextName;

/**
 * The events a region must forward to another: those produced by a context in
 * `from` and consumed by a context in `to`. Derived from the subscriptions, so
 * moving a context between regions rewires forwarding by itself.
 */
export function eventsToForward(topology: Topology, from: string, to: string): EventContract[] {
  const needed = new Map<string, EventContract>();
  for (const consumer of contextsIn(topology, to)) {
    for (const contract of subscriptions[consumer]) {
      if (regionOf(topology, producerOf(contract)) === from) needed.set(contract.detailType, contract);
    }
  }
  return [...needed.values()];
}
