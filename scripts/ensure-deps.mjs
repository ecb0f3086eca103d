#!/usr/bin/env node
// Installs the npm dependencies when they are missing or older than package-lock.json,
// so that the README's commands work on a fresh clone. Uses nothing but Node itself.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`DuckStore needs Node.js >= 20 (this is ${process.version}).`);
  process.exit(1);
}
const lockHash = createHash('sha256').update(readFileSync('package-lock.json')).digest('hex');
const marker = 'node_modules/.duckstore-lock-hash';
if (existsSync(marker) && readFileSync(marker, 'utf8') === lockHash) process.exit(0);

console.log('[deps] installing npm dependencies (npm ci)…');
execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
writeFileSync(marker, lockHash);
