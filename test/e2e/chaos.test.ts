import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultDriverOf } from '../../cli/chaos/driver';
import { formatChaosReport } from '../../cli/chaos/report';
import { runScenario, type FaultDriver } from '../../cli/chaos/runner';
import { listScenarios } from '../../cli/chaos/scenario';
import { System } from './helpers/system';

/**
 * The CI subset of the chaos suite (`duckstore chaos suite --set ci`): each
 * scenario of chaos/scenarios/ in the `ci` set runs its load and fault
 * timeline against the deployed system, and must end with every expectation
 * met: every invariant green after healing, no lost order, no duplicate
 * charge, and its own bounds. Needs the local cloud deployed with fault
 * injection (the local deploy does); the runner clears every fault it set,
 * also when a scenario fails, so the files after this one see a healthy system.
 */
let system: System;
let driver: FaultDriver;

beforeAll(async () => {
  system = await System.connect();
  driver = faultDriverOf(system.deployment);
});

afterAll(async () => {
  // The runner clears after each scenario; this covers a scenario that was interrupted by its timeout.
  await driver?.clearAll();
});

const ciScenarios = listScenarios().filter((scenario) => scenario.sets.includes('ci'));

describe('chaos suite, CI set', () => {
  it.each(ciScenarios.map((scenario) => [scenario.name, scenario] as const))(
    '%s: every expectation holds',
    async (_name, scenario) => {
      // Waits for every queue to be empty too: with the redelivery backoff, a crashed or duplicate message is back within seconds.
      const report = await runScenario(system.deployment, scenario, { api: system.api, driver });

      const explanation = formatChaosReport(report).join('\n');
      expect(report.steps.filter((step) => step.error), explanation).toEqual([]);
      expect(report.checks.filter((check) => !check.passed), explanation).toEqual([]);
      expect(report.figures.accepted, explanation).toBe(scenario.load.orders);
      expect(report.ok).toBe(true);
    },
    // Load, timeline, convergence (at most the scenario's), audit, with room to spare.
    400_000,
  );
});
