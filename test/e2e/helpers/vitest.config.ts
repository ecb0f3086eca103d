import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Vitest's order (failed first, then slowest first), except that the
 * invariant audit runs last: it audits the whole deployment, so it should see
 * what every other file did to it.
 */
class AuditLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isAudit = (file: TestSpecification) => file.moduleId.endsWith('/audit.test.ts');
    return [...sorted.filter((file) => !isAudit(file)), ...sorted.filter(isAudit)];
  }
}

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
    sequence: { sequencer: AuditLastSequencer },
  },
});
