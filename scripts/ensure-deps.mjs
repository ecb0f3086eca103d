#!/usr/bin/env node
// Installs the npm dependencies when they are missing or older than package-lock.json,
// so that the README's commands work on a fresh clone. Uses nothing but Node itself.
// With --cfn-lint (`npm test`) it then installs the pinned cfn-lint into .local/venv
// (local/cfn-lint.ts, through tsx: once the npm dependencies are there, they are usable).
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`DuckStore needs Node.js >= 20 (this is ${process.version}).`);
  process.exit(1);
}
const lockHash = createHash('sha256').update(readFileSync('package-lock.json')).digest('hex');
const marker = 'node_modules/.duckstore-lock-hash';
if (!existsSync(marker) || readFileSync(marker, 'utf8') !== lockHash) {
  console.log('[deps] installing npm dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
  writeFileSync(marker, lockHash);
}

if (process.argv.includes('--cfn-lint')) {
  try {
    execFileSync(join('node_modules', '.bin', 'tsx'), ['local/cfn-lint.ts'], { stdio: 'inherit' });
  } catch (error) {
    console.error(`[deps] could not install cfn-lint into .local/venv (exit ${error.status ?? error.message}); see the output above.`);
    process.exit(1);
  }
}
