import { defaultAuditOptions, type AuditReport } from '../../functions/auditor/domain/report';
import { auditSystem, auditUntilGreen } from '../../functions/auditor/domain/use-cases';
import { auditPortsOf } from '../audit-sources';
import { table, type Command } from '../command';
import { discoverDeployment } from '../deployment';
import { UsageError } from '../targets';

/** A whole number of seconds from a flag, or a usage error naming the flag. */
export function secondsFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} takes a number of seconds ≥ 0, got "${raw}"`);
  return value;
}

/** The report for a terminal: one line per invariant, then the findings of each failed one (the first `limit`). */
export function formatAuditReport(report: AuditReport, limit = 10): string[] {
  const { counts } = report;
  const failed = report.invariants.filter((invariant) => !invariant.passed);
  const lines = [
    `invariant audit at ${report.auditedAt} (outbox bound ${report.options.outboxBound} s, grace ${report.options.grace} s): ${report.ok ? 'PASS' : `FAIL, ${failed.length} invariant(s) violated`}`,
    `orders ${counts.orders.total} (PENDING ${counts.orders.PENDING}, CONFIRMED ${counts.orders.CONFIRMED}, CANCELLED ${counts.orders.CANCELLED}; ${counts.unsettledOrders} younger than the bound), ` +
      `SKUs ${counts.skus}, reservations ${counts.reservations}, payments ${counts.payments}, notifications ${counts.notifications}, ` +
      `ledger ${counts.ledgerAuthorizations ?? 'n/a'} (authorize-then-refund ${counts.authorizeThenRefund ?? 'n/a'}), outbox rows ${counts.outboxRows}, DLQs ${counts.deadLetterQueues ?? 'n/a'}` +
      (report.transient ? `; ${report.transient} finding(s) of a first read were gone on a second (torn read) and are not counted` : ''),
    '',
    table([
      ['#', 'invariant', 'result', 'checked', 'violations', 'orders'],
      ...report.invariants.map((invariant) => [
        String(invariant.id),
        `${invariant.name}: ${invariant.title}`,
        invariant.passed ? 'PASS' : 'FAIL',
        invariant.checked,
        invariant.violations,
        invariant.orderIds.slice(0, 3).join(' ') + (invariant.orderIds.length > 3 ? ` (+${invariant.orderIds.length - 3})` : ''),
      ]),
    ]),
  ];
  for (const invariant of report.invariants) {
    if (invariant.skipped.length > 0) lines.push(`  ${invariant.id}: not checked: ${invariant.skipped.join('; ')}`);
  }
  for (const invariant of failed) {
    lines.push('', `FAIL ${invariant.id} ${invariant.title}:`);
    for (const finding of invariant.findings.slice(0, limit)) lines.push(`  ${finding.code}: ${finding.message}`);
    if (invariant.findings.length > limit) lines.push(`  … ${invariant.findings.length - limit} more (--json lists them all)`);
  }
  return lines;
}

export const auditCommand: Command = {
  name: 'audit',
  usage: 'audit [--outbox-bound SECONDS] [--grace SECONDS] [--confirm SECONDS] [--wait SECONDS] [--segments N]',
  summary: 'check every invariant of DESIGN.md against the deployed tables and DLQs (exit 1 if one fails)',
  options: {
    'outbox-bound': { type: 'string' },
    grace: { type: 'string' },
    confirm: { type: 'string' },
    wait: { type: 'string' },
    segments: { type: 'string' },
  },
  async run(context) {
    const values = context.values as Record<'outbox-bound' | 'grace' | 'confirm' | 'wait' | 'segments', string | undefined>;
    const options = {
      outboxBound: secondsFlag('outbox-bound', values['outbox-bound'], defaultAuditOptions.outboxBound),
      grace: secondsFlag('grace', values.grace, defaultAuditOptions.grace),
    };
    // A failure is read again after a pause, so a write landing between two Scans of a live system is not reported.
    const confirmAfterMs = secondsFlag('confirm', values.confirm, 5) * 1000;
    const waitMs = secondsFlag('wait', values.wait, 0) * 1000;
    const segments = Math.max(1, Math.floor(secondsFlag('segments', values.segments, 4)));

    const deployment = await discoverDeployment(context.target, context.topology);
    const ports = auditPortsOf(deployment, { segments });
    try {
      const report = waitMs > 0 ? (await auditUntilGreen(ports, { ...options, timeoutMs: waitMs })).report : await auditSystem(ports, { ...options, confirmAfterMs });
      if (context.json) context.out(JSON.stringify({ target: context.target.name, ...report }, null, 2));
      else for (const line of [`target ${context.target.name}`, ...formatAuditReport(report)]) context.out(line);
      return report.ok ? 0 : 1;
    } finally {
      ports.destroy();
    }
  },
};
