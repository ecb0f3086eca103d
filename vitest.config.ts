import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end suite needs the local cloud and has its own config (npm run test:e2e).
    exclude: [...configDefaults.exclude, 'test/e2e/**'],
    // Infra tests synthesize the whole app and bundle every function with esbuild.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The SDK's notice that it will need Node 22 from 2027 would repeat in every test file (the README says it once);
    // handler logs would bury the test report (tests assert behaviour, not log lines).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  },
});
