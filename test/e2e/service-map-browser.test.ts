import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextNames } from '#contracts/envelope';
import { main } from '../../cli/main';
import { chromiumArgs, chromiumPath } from '../../cli/tracing/screenshot';
import { traceHops } from '../../cli/tracing/timeline';
import { readSpans } from '../../cli/tracing/trace-store';
import { deployedRegions } from '../../lib/topology';
import { eventually, System } from './helpers/system';

/**
 * The service map page in a real browser (headless Chromium from the Debian
 * package, driven by playwright-core): `duckstore service-map` draws the
 * traces of this run, and every bounded context and both regions must be on
 * it. Keeps a screenshot of the map as docs/service-map.png. Needs
 * /usr/bin/chromium (`npm run test:e2e` installs it: scripts/ensure-chromium.sh) or $DUCKSTORE_CHROMIUM. Adds about 10 s.
 */
const screenshotFile = fileURLToPath(new URL('../../docs/service-map.png', import.meta.url));
let system: System;
let workDir: string;

beforeAll(async () => {
  system = await System.connect();
  workDir = mkdtempSync(join(tmpdir(), 'duckstore-service-map-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('service map in a browser', () => {
  it('shows every context and both regions of a run', async () => {
    // This file may run first: one saga puts every context and both regions into the traces.
    const { orderId } = await system.api.placeOrder({ customerId: `e2e-map-${randomUUID().slice(0, 8)}`, items: [{ sku: 'DUCK-ASTRO', quantity: 1 }] });
    expect((await system.api.waitForTerminal(orderId)).status).toBe('CONFIRMED');
    const regions = deployedRegions(system.deployment.topology);
    const complete = await eventually(async () => {
      const spans = await readSpans(system.deployment.target, regions, { from: new Date(Date.now() - 300_000), to: new Date(Date.now() + 60_000), orderId });
      return traceHops(spans, orderId).some((hop) => hop.component === 'notifications-consumer') ? true : undefined;
    }, 30_000);
    expect(complete, 'the saga reached the notifications consumer in the traces').toBe(true);

    const out: string[] = [];
    expect(await main(['service-map', '--since', '15m', '--out', workDir], (line) => out.push(line))).toBe(0);
    expect(out.join('\n')).toContain(`regions ${[...regions].sort().join(', ')}`);

    const executablePath = chromiumPath();
    expect(executablePath, 'a Chromium (apt-get install chromium, or $DUCKSTORE_CHROMIUM)').toBeDefined();
    const profile = join(workDir, 'profile');
    // Playwright adds its own headless flag and owns the profile directory.
    const args = chromiumArgs(profile).filter((arg) => arg !== '--headless' && !arg.startsWith('--user-data-dir='));
    const browser = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args, viewport: { width: 1560, height: 900 } });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(join(workDir, 'service-map.html')).href);

      await expect.poll(() => page.locator('#map svg').count()).toBe(1);
      for (const context of contextNames) {
        const nodes = page.locator(`#map [data-kind="function"][data-context="${context}"]`);
        expect(await nodes.count(), `a ${context} function on the map`).toBeGreaterThan(0);
        expect(await nodes.first().isVisible()).toBe(true);
      }
      for (const region of regions) {
        const band = page.locator(`#map [data-region-band="${region}"]`);
        expect(await band.isVisible(), `the ${region} band`).toBe(true);
        expect(await page.locator(`#map [data-kind="function"][data-region="${region}"]`).count()).toBeGreaterThan(0);
      }
      // The saga's cross-region hand-offs are edges on the map (from the producer locally, from the bus where EventBridge carries the trace header).
      expect(await page.locator('#map [data-edge$="→PaymentsConsumer"]').count()).toBeGreaterThan(0);
      expect(await page.locator('#map [data-edge$="→OrdersConsumer"]').count()).toBeGreaterThan(0);

      await page.locator('#map svg').screenshot({ path: screenshotFile });
    } finally {
      await browser.close();
    }
  });
});
