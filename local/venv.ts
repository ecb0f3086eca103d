/**
 * The private Python venv under .local/ that holds this checkout's pinned
 * Python tools: ministack (the local cloud, local/ministack.ts) and cfn-lint
 * (the infra tests, local/cfn-lint.ts). Each is installed from your pip index
 * once, at its pinned version, by `ensureVenvPackage`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { localDir, localPaths, say } from './paths';

const MIN_PYTHON: readonly [number, number] = [3, 10];

export class VenvError extends Error {
  override readonly name = 'VenvError';
}

/** A program installed in the venv (`python`, `pip`, a package's console script). */
export const venvBin = (name: string): string => path.join(localPaths.venv, 'bin', name);

function run(command: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string; error?: Error } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', ...(result.error ? { error: result.error } : {}) };
}

/** The python3 to build the venv with: $PYTHON, else python3 on PATH; it must be ≥ 3.10. */
function findPython(needs: string): string {
  const python = process.env.PYTHON || 'python3';
  const probe = run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']);
  if (probe.error || probe.status !== 0) {
    throw new VenvError(
      `${python} was not found or does not run (${probe.error?.message ?? probe.stderr.trim()}). ${needs} needs Python ≥ ${MIN_PYTHON.join('.')}: ` +
        'install python3 (with the venv module) or point $PYTHON at one.',
    );
  }
  const version = probe.stdout.trim();
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new VenvError(`${python} is Python ${version}; ${needs} needs Python ≥ ${MIN_PYTHON.join('.')}. Install a newer python3 or set $PYTHON.`);
  }
  return python;
}

/** The version of a Python distribution installed in the venv, or undefined. */
export function installedVenvPackageVersion(name: string): string | undefined {
  if (!fs.existsSync(venvBin('python'))) return undefined;
  const probe = run(venvBin('python'), ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(name)}))`]);
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/**
 * Creates .local/venv if needed and installs `name==version` into it, once:
 * when the venv already has that version it only says so. Throws a clear
 * error when python3 is missing or older than 3.10, or when pip fails.
 */
export function ensureVenvPackage(name: string, version: string): { version: string; installed: boolean; seconds: number } {
  const start = performance.now();
  const current = installedVenvPackageVersion(name);
  if (current === version) {
    say(name, `${name} ${current} already installed in ${path.relative(process.cwd(), localPaths.venv) || localPaths.venv}`);
    return { version: current, installed: false, seconds: (performance.now() - start) / 1000 };
  }
  fs.mkdirSync(localDir, { recursive: true });
  if (!fs.existsSync(venvBin('python'))) {
    const python = findPython(`${name} ${version}`);
    say(name, `creating venv ${localPaths.venv} with ${python}`);
    const venv = run(python, ['-m', 'venv', localPaths.venv]);
    if (venv.status !== 0) {
      throw new VenvError(`${python} -m venv ${localPaths.venv} failed (is the python3-venv package installed?):\n${venv.stderr || venv.stdout}`);
    }
  }
  say(name, `${current ? `replacing ${name} ${current}: ` : ''}pip install ${name}==${version} (from your pip index)`);
  const pip = spawnSync(venvBin('python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', `${name}==${version}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (pip.status !== 0) throw new VenvError(`pip install ${name}==${version} failed (exit ${pip.status}); see the output above.`);
  const installed = installedVenvPackageVersion(name);
  if (installed !== version) throw new VenvError(`after pip install, the venv reports ${name} ${installed ?? 'missing'}, expected ${version}`);
  const elapsed = (performance.now() - start) / 1000;
  say(name, `installed ${name} ${installed} in ${elapsed.toFixed(1)} s`);
  return { version: installed, installed: true, seconds: elapsed };
}
