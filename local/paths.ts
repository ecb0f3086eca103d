import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in `<root>/local/`). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Everything the local cloud writes lives here (git-ignored). */
export const localDir = path.join(repoRoot, '.local');

/** What every local cloud of this checkout shares. */
export const localPaths = {
  venv: path.join(localDir, 'venv'),
  home: path.join(localDir, 'home'),
  reports: path.join(localDir, 'reports'),
} as const;

/** The port the local cloud listens on unless DUCKSTORE_LOCAL_PORT says otherwise. */
export const DEFAULT_LOCAL_PORT = 4566;

/**
 * The files of the local cloud on `port`. A cloud on another port gets its own
 * folder, so two clouds from one checkout (the demo and an e2e run, say) never
 * share a log, a pid file, Lambda code or a cloud assembly.
 */
export function cloudPaths(port: number) {
  const dir = port === DEFAULT_LOCAL_PORT ? localDir : path.join(localDir, `port-${port}`);
  return {
    dir,
    log: path.join(dir, 'ministack.log'),
    pidFile: path.join(dir, 'ministack.pid.json'),
    tmp: path.join(dir, 'tmp'),
    s3: path.join(dir, 's3'),
    state: path.join(dir, 'state'),
    cdkOut: path.join(dir, 'cdk.out'),
    cdkLog: path.join(dir, 'cdk.log'),
  } as const;
}

/** Bytes [from, to) of a file as text: a window of the local cloud's log without reading all of it. */
export function readRange(file: string, from: number, to: number): string {
  if (to <= from) return '';
  const buffer = Buffer.alloc(to - from);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, buffer, 0, buffer.length, from);
  } finally {
    fs.closeSync(fd);
  }
  return buffer.toString('utf8');
}

/** The port of a local endpoint such as `http://127.0.0.1:4566`. */
export const portOf = (endpoint: string): number => Number(new URL(endpoint).port || 80);

/** Prints a line prefixed with the component, so interleaved output stays readable. */
export const say = (component: string, message: string): void => {
  process.stderr.write(`[${component}] ${message}\n`);
};

/** Milliseconds since `start`, as seconds with one decimal. */
export const seconds = (startMs: number): string => `${((performance.now() - startMs) / 1000).toFixed(1)} s`;
