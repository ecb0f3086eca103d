import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Infra tests synthesize the whole app and bundle every function with esbuild.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
