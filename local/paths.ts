import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in `<root>/local/`). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Everything the local cloud writes lives here (git-ignored). */
export const localDir = path.join(repoRoot, '.local');

export const localPaths = {
  venv: path.join(localDir, 'venv'),
  log: path.join(localDir, 'ministack.log'),
  pidFile: path.join(localDir, 'ministack.pid.json'),
  tmp: path.join(localDir, 'tmp'),
  s3: path.join(localDir, 's3'),
  state: path.join(localDir, 'state'),
  home: path.join(localDir, 'home'),
  reports: path.join(localDir, 'reports'),
  cdkOut: path.join(localDir, 'cdk.out'),
} as const;

/** Prints a line prefixed with the component, so interleaved output stays readable. */
export const say = (component: string, message: string): void => {
  process.stderr.write(`[${component}] ${message}\n`);
};

/** Milliseconds since `start`, as seconds with one decimal. */
export const seconds = (startMs: number): string => `${((performance.now() - startMs) / 1000).toFixed(1)} s`;
