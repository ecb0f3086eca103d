import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The end-to-end suite against the local cloud: `npm run test:e2e`.
 * Standalone (not merged with the root config, whose include would pull in the unit tests).
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/helpers/global-setup.ts'],
    // A saga crosses two regions; a test may wait for several.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One local cloud, shared: files run one after another so stock and DLQ assertions do not race.
    fileParallelism: false,
  },
});
