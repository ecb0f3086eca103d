import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CFN_LINT_VERSION, cfnLintBin } from '../../local/cfn-lint';
import { cdkJsonContext, synthesizeAssembly, type AssemblyTemplate } from '../helpers/synth';

/**
 * cfn-lint (pinned in local/cfn-lint.ts, installed into .local/venv by
 * `node scripts/ensure-deps.mjs --cfn-lint`, which `npm test` runs first) over
 * every template of the AWS variant, with cdk.json's context and with
 * `duckstore:fis=true`, each checked against its own region only (the
 * resource types and properties available there). Any error fails; warnings
 * (W3005, the explicit DependsOn CDK adds next to a Role GetAtt) and
 * informational findings do not. One cfn-lint process per region, holding
 * the templates of both variants; the two run side by side.
 */

const variants: Record<string, Record<string, unknown>> = {
  'cdk.json defaults': {},
  'duckstore:fis=true': { 'duckstore:fis': true },
};

const topology = cdkJsonContext()['duckstore:topology'] as { regions: Record<string, string> };
const regions = [...new Set(Object.values(topology.regions))];

interface LintRun {
  /** cfn-lint's exit code: a bit each for error (2), warning (4) and informational (8); 1 is a fatal failure. */
  status: number | null;
  /** Every finding of rule class E, one `file:line:column:endLine:endColumn:rule:message` line each. */
  errors: string[];
  stderr: string;
}

const ERROR_BITS = 1 | 2;

/** Runs one cfn-lint process over `files` for `region`, with the parseable (one finding a line) output. */
function cfnLint(region: string, files: string[]): Promise<LintRun> {
  return new Promise((resolve) => {
    const child = spawn(cfnLintBin, ['--format', 'parseable', '--regions', region, '--', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => resolve({ status: null, errors: [], stderr: error.message }));
    child.once('close', (status) => {
      const errors = stdout.split('\n').filter((line) => /:\d+:\d+:\d+:\d+:E\d+:/.test(line));
      resolve({ status, errors, stderr });
    });
  });
}

describe('cfn-lint: every template of the AWS variant, FIS off and on, for its own region', () => {
  const templates: { variant: string; template: AssemblyTemplate }[] = [];
  const runs = new Map<string, Promise<LintRun>>();

  beforeAll(async () => {
    const installed = existsSync(cfnLintBin) ? spawnSync(cfnLintBin, ['--version'], { encoding: 'utf8' }).stdout.trim() : 'not installed';
    if (installed !== `cfn-lint ${CFN_LINT_VERSION}`) {
      throw new Error(
        `cfn-lint ${CFN_LINT_VERSION} is required at ${cfnLintBin} (found: ${installed || 'a cfn-lint that does not run'}). ` +
          'Install it with `node scripts/ensure-deps.mjs --cfn-lint` (`npm test` and `npm run test:infra` do).',
      );
    }
    for (const [variant, overrides] of Object.entries(variants)) {
      for (const template of synthesizeAssembly(overrides)) templates.push({ variant, template });
      // Synthesis blocks this worker for seconds: let vitest's messages through between the two (on a busy machine
      // a worker that does not answer for long enough is reported as an RPC timeout).
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const region of regions) {
      const files = templates.filter(({ template }) => template.region === region).map(({ template }) => template.file);
      if (files.length > 0) runs.set(region, cfnLint(region, files));
    }
  });

  it('lints every template: each deploys to a region of the topology', () => {
    const elsewhere = templates.filter(({ template }) => !regions.includes(template.region)).map(({ variant, template }) => `${template.stackName} (${variant}): ${template.region}`);
    expect(elsewhere).toEqual([]);
    expect(templates.length).toBeGreaterThanOrEqual(2 * Object.keys(variants).length);
  });

  it.each(regions)('--regions %s: 0 errors', async (region) => {
    const linted = templates.filter(({ template }) => template.region === region).map(({ variant, template }) => `${template.stackName} (${variant})`);
    const run = await runs.get(region);
    expect(run, `no template deploys to ${region}`).toBeDefined();
    const { status, errors, stderr } = run!;
    const failed = status === null || (status & ERROR_BITS) !== 0 || errors.length > 0;
    const report = errors.length > 0 ? errors.join('\n') : stderr.trim() || '(no error line)';
    expect(failed, `cfn-lint --regions ${region} exited ${status ?? 'abnormally'} on ${linted.join(', ')}:\n${report}`).toBe(false);
  });
});
