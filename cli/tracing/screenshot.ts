import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where a Chromium is: $DUCKSTORE_CHROMIUM, else the Debian package's. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
  [env.DUCKSTORE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate): candidate is string => Boolean(candidate && existsSync(candidate)));

/**
 * The flags a headless Chromium needs on a closed network: without the
 * background-networking ones it stalls on connections that never open. A fresh
 * profile each time, so no state leaks between runs.
 */
export const chromiumArgs = (userDataDir: string): string[] => [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  `--user-data-dir=${userDataDir}`,
];

/** Renders an HTML file to a PNG with headless Chromium; false when no Chromium is installed. */
export function screenshot(htmlFile: string, pngFile: string, size = { width: 1560, height: 1000 }): boolean {
  const chromium = chromiumPath();
  if (!chromium) return false;
  const profile = mkdtempSync(join(tmpdir(), 'duckstore-chromium-'));
  try {
    const result = spawnSync(
      chromium,
      [...chromiumArgs(profile), '--hide-scrollbars', `--window-size=${size.width},${size.height}`, `--screenshot=${pngFile}`, pathToFileURL(htmlFile).href],
      { encoding: 'utf8', timeout: 60_000 },
    );
    return result.status === 0 && existsSync(pngFile);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
