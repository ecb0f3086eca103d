import type { ParseArgsOptionsConfig } from 'node:util';
import type { Topology } from '../lib/topology';
import type { Target } from './targets';

/** What every command gets: the target, the topology, the parsed global flags and its own arguments. */
export interface CommandContext {
  target: Target;
  topology: Topology;
  /** Restricts region-wide commands to one region. */
  region: string | undefined;
  json: boolean;
  token: string | undefined;
  /** The command's own flags, parsed with its `options`. */
  values: Record<string, string | boolean | string[] | undefined>;
  /** Words after the command's name. */
  positionals: string[];
  out: (line: string) => void;
}

export interface Command {
  /** Words that select it, e.g. `orders place`. */
  name: string;
  usage: string;
  summary: string;
  options?: ParseArgsOptionsConfig;
  /** Returns the process exit code. */
  run(context: CommandContext): Promise<number>;
}

/** Left-aligned text table; numbers are right-aligned. */
export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length)));
  return rows
    .map((row) => row.map((cell, column) => (typeof cell === 'number' ? String(cell).padStart(widths[column]!) : String(cell).padEnd(widths[column]!))).join('  ').trimEnd())
    .join('\n');
}
