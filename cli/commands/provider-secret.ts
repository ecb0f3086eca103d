import type { Command } from '../command';
import { discoverDeployment } from '../deployment';
import { rotateProviderSecret, rotationSteps, type RotationStep } from '../provider-secret';
import { UsageError } from '../targets';

export const providerSecretCommand: Command = {
  name: 'provider-secret rotate',
  usage: `provider-secret rotate ${rotationSteps.join('|')}`,
  summary: "one step of the provider simulator's merchant-secret rotation (runbooks/provider-secret-rotation.md); prints no secret",
  async run(context) {
    const step = context.positionals[0];
    if (!rotationSteps.includes(step as RotationStep)) throw new UsageError(`provider-secret rotate takes one of ${rotationSteps.join(', ')}, got ${JSON.stringify(step ?? '')}`);
    const deployment = await discoverDeployment(context.target, context.topology);
    const done = await rotateProviderSecret(deployment, step as RotationStep);
    context.out(context.json ? JSON.stringify({ target: context.target.name, step, done }) : done);
    return 0;
  },
};
