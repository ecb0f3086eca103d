import { audit, invariantResult } from './audit';
import { findingKey, type AuditReport } from './report';
import type { AuditSnapshot } from './snapshot';

export interface AuditPorts {
  /** Reads the whole system: every table, every DLQ depth. */
  readSnapshot(): Promise<AuditSnapshot>;
  clock: { now(): Date };
  sleep?: (ms: number) => Promise<void>;
}

export interface AuditSystemOptions {
  outboxBound: number;
  grace: number;
  defaultDeadline?: number;
  /**
   * Read a second time after this many milliseconds when the first read
   * fails, and keep only findings seen both times. A Scan is not a snapshot:
   * on a live system it can see a reservation's stock taken but not the
   * reservation, or a payment row but not the order read a moment before. A
   * real violation stays; a torn read does not. @default 0 (one read)
   */
  confirmAfterMs?: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Keeps the findings of `first` that `second` confirms; the counts are the second read's. */
export function confirmed(first: AuditReport, second: AuditReport): AuditReport {
  const seenAgain = new Set(second.invariants.flatMap((invariant) => invariant.findings.map(findingKey)));
  let transient = 0;
  const invariants = first.invariants.map((invariant) => {
    const kept = invariant.findings.filter((finding) => seenAgain.has(findingKey(finding)));
    transient += invariant.findings.length - kept.length;
    const again = second.invariants.find((candidate) => candidate.id === invariant.id);
    return invariantResult(invariant.id, again?.checked ?? invariant.checked, kept, again?.skipped ?? invariant.skipped);
  });
  return { ...second, ok: invariants.every((invariant) => invariant.passed), invariants, transient };
}

/**
 * Audits the running system: read, check, and (if asked) confirm failures
 * with a second read. Used by the scheduled auditor and the CLI alike.
 */
export async function auditSystem(ports: AuditPorts, options: AuditSystemOptions): Promise<AuditReport> {
  const run = async () => audit(await ports.readSnapshot(), { ...options, now: ports.clock.now() });
  const first = await run();
  if (first.ok || !options.confirmAfterMs) return first;
  await (ports.sleep ?? wait)(options.confirmAfterMs);
  return confirmed(first, await run());
}

/**
 * Audits until the report is green or `timeoutMs` has passed, and returns the
 * last report: for a caller that has just driven the system (the demo, a test)
 * and asks whether it converges, typically with an outbox bound of 0 so that
 * every downstream effect is required, not just the settled ones.
 */
export async function auditUntilGreen(ports: AuditPorts, options: AuditSystemOptions & { timeoutMs: number; intervalMs?: number }): Promise<{ report: AuditReport; attempts: number; waitedMs: number }> {
  const started = ports.clock.now().getTime();
  for (let attempts = 1; ; attempts++) {
    const report = await auditSystem(ports, { ...options, confirmAfterMs: 0 });
    const waitedMs = ports.clock.now().getTime() - started;
    if (report.ok || waitedMs >= options.timeoutMs) return { report, attempts, waitedMs };
    await (ports.sleep ?? wait)(options.intervalMs ?? 1_000);
  }
}
