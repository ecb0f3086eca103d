/**
 * cfn-lint (PyPI, MIT-0), pinned, in the venv of local/venv.ts: the infra
 * tests lint every synthesized template with it (test/infra/cfn-lint.test.ts).
 * `npm test` installs it first (`node scripts/ensure-deps.mjs --cfn-lint`,
 * which runs this file); `tsx local/cfn-lint.ts` does the same by hand.
 */
import { fileURLToPath } from 'node:url';
import { ensureVenvPackage, venvBin } from './venv';

export const CFN_LINT_VERSION = '1.58.0';

/** The cfn-lint console script in the venv. */
export const cfnLintBin = venvBin('cfn-lint');

/** Installs cfn-lint==CFN_LINT_VERSION into .local/venv once (creating the venv if needed). */
export const ensureCfnLint = (): { version: string; installed: boolean; seconds: number } => ensureVenvPackage('cfn-lint', CFN_LINT_VERSION);

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureCfnLint();
