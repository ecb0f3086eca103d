import { parseArgs } from 'node:util';
import { ApiError } from './api-client';
import type { Command } from './command';
import { auditCommand } from './commands/audit';
import { providerSecretCommand } from './commands/provider-secret';
import { benchCommand } from './commands/bench';
import { chaosCommands } from './commands/chaos';
import { demoCommand } from './commands/demo';
import { dlqCommands } from './commands/dlq';
import { drillCommand } from './commands/drill';
import { experimentCommand } from './commands/experiment';
import { faultsCommand } from './commands/faults';
import { loadCommand } from './commands/load';
import { getOrderCommand, placeOrderCommand } from './commands/orders';
import { replayCommand } from './commands/replay';
import { serviceMapCommand } from './commands/service-map';
import { statusCommand } from './commands/status';
import { traceCommand } from './commands/trace';
import { NotDeployedError, TargetUnreachableError } from './errors';
import { readTopology, resolveTarget, targetNames, UsageError } from './targets';

/** Every command; later ones (dlq, replay, chaos, ...) are added here. */
export const commands: Command[] = [placeOrderCommand, getOrderCommand, statusCommand, demoCommand, loadCommand, auditCommand, traceCommand, serviceMapCommand, benchCommand, ...chaosCommands, faultsCommand, experimentCommand, ...dlqCommands, replayCommand, drillCommand, providerSecretCommand];

function usage(): string {
  return [
    'usage: duckstore [--target local|localstack|aws] [--region REGION] [--json] [--token JWT] COMMAND',
    '',
    'commands:',
    ...commands.map((command) => `  ${command.usage.padEnd(60)} ${command.summary}`),
    '',
    'target defaults to $DUCKSTORE_TARGET or local; local and localstack use $DUCKSTORE_ENDPOINT (default http://127.0.0.1:4566);',
    'aws uses your AWS credentials, and the API needs a Cognito id token (--token or $DUCKSTORE_TOKEN).',
  ].join('\n');
}

const globalOptions = {
  target: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean', default: false },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  // First pass only finds the command, whose flags are then parsed strictly together with the global ones.
  // The global options are declared here too, so that `--target local demo` does not take `local` for a word.
  const words = parseArgs({ args: argv, allowPositionals: true, strict: false, options: globalOptions }).positionals.join(' ');
  const command = commands.find((candidate) => words === candidate.name || words.startsWith(`${candidate.name} `));
  if (!command) {
    const help = argv.includes('--help') || argv.includes('-h');
    (help ? out : err)(usage());
    return help ? 0 : 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...globalOptions, ...command.options } });
    if (values.help) {
      out(`usage: duckstore ${command.usage}\n${command.summary}`);
      return 0;
    }
    const { target, region, json, token, help: _help, ...own } = values;
    return await command.run({
      target: resolveTarget(String(target ?? process.env.DUCKSTORE_TARGET ?? 'local')),
      topology: readTopology(),
      region: region as string | undefined,
      json: Boolean(json),
      token: (token as string | undefined) ?? process.env.DUCKSTORE_TOKEN,
      values: own,
      positionals: positionals.slice(command.name.split(' ').length),
      out,
    });
  } catch (error) {
    const usageProblem = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usageProblem) {
      err(`duckstore ${command.name}: ${(error as Error).message}\nusage: duckstore ${command.usage}`);
      return 2;
    }
    if (error instanceof TargetUnreachableError || error instanceof NotDeployedError || error instanceof ApiError) {
      err(`duckstore: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

export { targetNames };
