import fc from 'fast-check';
import { expect } from 'vitest';
import { formatAuditReport } from '../../../cli/commands/audit';
import { audit } from '../../../functions/auditor/domain/audit';
import type { AuditReport } from '../../../functions/auditor/domain/report';
import { settle } from '../fake-clock';
import type { SagaCommand } from './commands';
import { auditSnapshot, moneyHarm } from './snapshot';
import { SagaWorld, worldSettings } from './world';

/** Runs the commands on a fresh world, as `fc.asyncModelRun` runs a generated sequence; `drainOrder` as in SagaWorld. */
export async function runCommands(commands: Iterable<SagaCommand>, drainOrder: readonly number[] = []): Promise<SagaWorld> {
  const world = new SagaWorld(drainOrder);
  await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);
  // Everything above is promise callbacks: give the test runner's own messages (its RPC to the main process) a turn.
  await settle();
  return world;
}

/**
 * Heals every fault, lets the world settle, then asserts that the REAL
 * auditor finds every invariant true and that no money moved for a
 * cancelled order (checked on the ledger directly as well).
 */
export async function assertSettlesSafely(world: SagaWorld): Promise<void> {
  await world.quiesce();
  const report = auditWorld(world);
  expect(world.harnessErrors, 'the harness itself').toEqual([]);
  expect(report.ok, formatAuditReport(report).join('\n')).toBe(true);
  expect(moneyHarm(world), 'money moved for a cancelled order').toEqual([]);
  expect(report.counts.orders.PENDING, 'orders still PENDING after quiescence').toBe(0);
}

/** The REAL auditor over the world's rows, long after the last move, so that every cross-context check judges settled facts. */
export function auditWorld(world: SagaWorld): AuditReport {
  return audit(auditSnapshot(world), {
    now: new Date(world.time + 3600_000),
    outboxBound: 120,
    grace: worldSettings.sweepGraceSeconds + worldSettings.sweepEverySeconds,
  });
}
