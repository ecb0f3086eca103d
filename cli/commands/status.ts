import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { table, type Command } from '../command';
import { discoverDeployment, type RegionDeployment } from '../deployment';
import { queueDepths } from '../queues';
import type { Target } from '../targets';

async function functionStates(target: Target, region: RegionDeployment) {
  const lambda = new LambdaClient(target.aws(region.region));
  const functions = region.resources.filter((resource) => resource.type === 'AWS::Lambda::Function');
  return Promise.all(
    functions.map(async (fn) => {
      const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.physicalId }));
      return { region: region.region, name: fn.logicalId.replace(/[0-9A-F]{8}$/, ''), functionName: fn.physicalId, state: configuration.State ?? 'Unknown', lastModified: configuration.LastModified ?? '' };
    }),
  );
}

export const statusCommand: Command = {
  name: 'status',
  usage: 'status',
  summary: 'stacks, functions, and every queue and DLQ with its depth and age of oldest message',
  async run(context) {
    const deployment = await discoverDeployment(context.target, context.topology);
    if (context.region) deployment.regions = deployment.regions.filter((region) => region.region === context.region);
    const functions = (await Promise.all(deployment.regions.map((region) => functionStates(context.target, region)))).flat();
    const queues = await queueDepths(deployment);
    const stacks = deployment.regions.map(({ region, stackName, status, contexts }) => ({ region, stackName, status, contexts }));
    const dlqMessages = queues.filter((queue) => queue.isDeadLetterQueue).reduce((sum, queue) => sum + queue.visible, 0);
    if (context.json) {
      context.out(JSON.stringify({ target: context.target.name, stacks, functions, queues, deadLetteredMessages: dlqMessages }, null, 2));
      return 0;
    }
    context.out(`target ${context.target.name}\n`);
    context.out(table([['region', 'stack', 'status', 'contexts'], ...stacks.map((s) => [s.region, s.stackName, s.status, s.contexts.join(', ')])]));
    context.out('');
    context.out(table([['region', 'function', 'state'], ...functions.map((f) => [f.region, f.name, f.state])]));
    context.out('');
    const age = (seconds: number | undefined, source: string) => (seconds === undefined ? (source === 'unavailable' ? 'n/a' : '-') : `${seconds}s`);
    context.out(
      table([
        ['region', 'queue', 'kind', 'visible', 'in flight', 'oldest'],
        ...queues
          .sort((a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name))
          .map((q) => [q.region, q.name, q.isDeadLetterQueue ? 'DLQ' : 'queue', q.visible, q.inFlight, age(q.oldestAgeSeconds, q.ageSource)]),
      ]),
    );
    context.out(`\n${dlqMessages === 0 ? 'every DLQ is empty' : `${dlqMessages} message(s) in DLQs: inspect them before redriving`}`);
    return 0;
  },
};
