import { contextNames, type ContextName } from '#contracts/envelope';
import { functionFaultKinds, functionFaultSchema, type FunctionFault, type ProviderFaults } from '#contracts/controls';
import { resilienceProfile } from '#shared/resilience/profiles';
import type { Command, CommandContext } from '../command';
import { discoverDeployment, type Deployment } from '../deployment';
import {
  clearAllFaults,
  getControls,
  healInfrastructure,
  healPartition,
  partitionRegions,
  pauseConsumer,
  resumeConsumer,
  setFunctionFaults,
  setProviderFaults,
  setProviderIdempotency,
  setResilienceProfile,
  throttleConsumer,
} from '../faults';
import { UsageError } from '../targets';

const subcommands = [
  'faults show',
  'faults provider [--error-rate R] [--latency-ms N] [--timeout-rate R] [--outage] [--decline-rate R]   (no flag: provider healthy)',
  `faults function TARGET KIND --rate R [--event-type TYPE] [--order-id ID] [--attempts N] [--delay-ms N]   (KIND: ${functionFaultKinds.join('|')}; --rate 0 removes it)`,
  'faults profile NAME|default',
  'faults provider-idempotency on|off',
  'faults pause|resume CONTEXT',
  'faults throttle CONTEXT N|off',
  'faults partition | faults heal',
  'faults clear   (every run-time fault off: controls back to as deployed, consumers resumed and unthrottled, partition healed)',
];

function rate(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new UsageError(`${flag} must be a number from 0 to 1, got ${value}`);
  return parsed;
}

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new UsageError(`${flag} must be a whole number ≥ 0, got ${value}`);
  return parsed;
}

function contextArgument(word: string | undefined): ContextName {
  if (!contextNames.includes(word as ContextName)) throw new UsageError(`expected a context (${contextNames.join(', ')}), got ${word ?? 'nothing'}`);
  return word as ContextName;
}

const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;

async function show(context: CommandContext, deployment: Deployment): Promise<void> {
  const documents = await Promise.all(deployment.regions.map(async (region) => ({ region: region.region, controls: await getControls(deployment, region.region) })));
  if (context.json) {
    context.out(JSON.stringify(documents, null, 2));
    return;
  }
  for (const { region, controls } of documents) {
    context.out(`${region}:`);
    context.out(`  provider faults: ${controls.provider ? JSON.stringify(controls.provider) : 'none'}`);
    context.out(`  resilience profile: ${controls.resilienceProfile ?? 'default'}   provider idempotency: ${controls.providerIdempotency === false ? 'off' : 'on'}`);
    if (controls.faults.length === 0) context.out('  function faults: none');
    for (const fault of controls.faults) context.out(`  function fault: ${JSON.stringify(fault)}`);
  }
}

async function setFunctionFault(context: CommandContext, deployment: Deployment): Promise<string> {
  const [target, kind] = context.positionals.slice(1);
  if (!target || !kind) throw new UsageError('faults function needs TARGET and KIND');
  const values = context.values as Record<string, string | undefined>;
  const candidate = defined({
    kind,
    target,
    rate: rate(values.rate, '--rate') ?? 1,
    eventType: values['event-type'],
    orderId: values['order-id'],
    attempts: wholeNumber(values.attempts, '--attempts'),
    delayMs: wholeNumber(values['delay-ms'], '--delay-ms'),
  });
  const parsed = functionFaultSchema.safeParse(candidate);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  const fault: FunctionFault = parsed.data;
  // One fault per target and kind: setting it again replaces it, rate 0 removes it. The plan is the same in every region.
  const current = (await getControls(deployment, deployment.regions[0]!.region)).faults;
  const others = current.filter((existing) => existing.target !== fault.target || existing.kind !== fault.kind);
  await setFunctionFaults(deployment, fault.rate > 0 ? [...others, fault] : others);
  return fault.rate > 0 ? `function fault on: ${JSON.stringify(fault)}` : `function fault ${fault.kind} on ${fault.target} removed`;
}

export const faultsCommand: Command = {
  name: 'faults',
  usage: 'faults show|provider|function|profile|provider-idempotency|pause|resume|throttle|partition|heal|clear ...',
  summary: 'switch faults on and off at run time, without a redeploy (docs/faults.md)',
  options: {
    'error-rate': { type: 'string' },
    'latency-ms': { type: 'string' },
    'timeout-rate': { type: 'string' },
    outage: { type: 'boolean' },
    'decline-rate': { type: 'string' },
    rate: { type: 'string' },
    'event-type': { type: 'string' },
    'order-id': { type: 'string' },
    attempts: { type: 'string' },
    'delay-ms': { type: 'string' },
  },
  async run(context) {
    const [action, first, second] = context.positionals;
    if (!action) throw new UsageError(`a subcommand is needed:\n  ${subcommands.join('\n  ')}`);
    const deployment = await discoverDeployment(context.target, context.topology);
    const values = context.values as Record<string, string | boolean | undefined>;
    let done: string;
    switch (action) {
      case 'show':
        await show(context, deployment);
        return 0;
      case 'provider': {
        const faults: ProviderFaults = defined({
          errorRate: rate(values['error-rate'] as string | undefined, '--error-rate'),
          latencyMs: wholeNumber(values['latency-ms'] as string | undefined, '--latency-ms'),
          timeoutRate: rate(values['timeout-rate'] as string | undefined, '--timeout-rate'),
          outage: values.outage === true ? true : undefined,
          declineRate: rate(values['decline-rate'] as string | undefined, '--decline-rate'),
        });
        await setProviderFaults(deployment, faults);
        done = Object.keys(faults).length > 0 ? `provider faults: ${JSON.stringify(faults)}` : 'provider healthy';
        break;
      }
      case 'function':
        done = await setFunctionFault(context, deployment);
        break;
      case 'profile': {
        if (!first) throw new UsageError('faults profile needs a profile name, or "default"');
        // Refused here rather than by every payments invocation that would read it.
        if (first !== 'default') {
          try {
            resilienceProfile(first);
          } catch (error) {
            throw new UsageError((error as Error).message);
          }
        }
        await setResilienceProfile(deployment, first === 'default' ? undefined : first);
        done = `resilience profile: ${first}`;
        break;
      }
      case 'provider-idempotency': {
        if (first !== 'on' && first !== 'off') throw new UsageError('faults provider-idempotency needs on or off');
        await setProviderIdempotency(deployment, first === 'on');
        done = `provider idempotency ${first}`;
        break;
      }
      case 'pause':
        await pauseConsumer(deployment, contextArgument(first));
        done = `${first} consumer paused: its events wait in its queue`;
        break;
      case 'resume':
        await resumeConsumer(deployment, contextArgument(first));
        done = `${first} consumer resumed`;
        break;
      case 'throttle': {
        const target = contextArgument(first);
        const limit = second === 'off' ? undefined : wholeNumber(second, 'the concurrency');
        if (second === undefined) throw new UsageError('faults throttle needs CONTEXT and N (or off)');
        await throttleConsumer(deployment, target, limit);
        done = limit === undefined ? `${target} consumer unthrottled` : `${target} consumer limited to ${limit} concurrent executions`;
        break;
      }
      case 'partition':
        await partitionRegions(deployment);
        done = 'regions partitioned: cross-region events wait in the forwarding queues';
        break;
      case 'heal':
        await healPartition(deployment);
        done = 'partition healed';
        break;
      case 'clear':
        await clearAllFaults(deployment);
        await healInfrastructure(deployment);
        done = 'every fault cleared';
        break;
      default:
        throw new UsageError(`unknown subcommand ${action}:\n  ${subcommands.join('\n  ')}`);
    }
    context.out(context.json ? JSON.stringify({ ok: true, message: done }) : done);
    return 0;
  },
};

