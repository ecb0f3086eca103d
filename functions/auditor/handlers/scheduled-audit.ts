import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { invariantMetrics } from '#contracts/invariant-metrics';
import type { AuditReport } from '../domain/report';
import { auditSystem, type AuditPorts, type AuditSystemOptions } from '../domain/use-cases';

const violationsMetric = invariantMetrics.violations;

/** How many findings per invariant go into the log line; the counts are always complete. */
const loggedFindingsPerInvariant = 20;

export interface ScheduledAuditSummary {
  ok: boolean;
  violations: number;
  failed: { id: number; title: string; violations: number; orderIds: string[] }[];
}

export function summarize(report: AuditReport): ScheduledAuditSummary {
  const failed = report.invariants.filter((invariant) => !invariant.passed);
  return {
    ok: report.ok,
    violations: failed.reduce((sum, invariant) => sum + invariant.violations, 0),
    failed: failed.map(({ id, title, violations, orderIds }) => ({ id, title, violations, orderIds: orderIds.slice(0, loggedFindingsPerInvariant) })),
  };
}

/**
 * One scheduled audit: read, check (a failure is confirmed by a second read),
 * publish `InvariantViolations` in total and per failed invariant, and log the
 * report. A table that cannot be read is a finding (invariant 0), so an
 * outage of the other region shows in the metric instead of killing the run.
 */
export function scheduledAudit(deps: { ports: AuditPorts; options: AuditSystemOptions; metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics' | 'singleMetric'>; logger: Pick<Logger, 'info' | 'error'> }) {
  return async (): Promise<ScheduledAuditSummary> => {
    const report = await auditSystem(deps.ports, deps.options);
    const summary = summarize(report);
    deps.metrics.addMetric(violationsMetric, MetricUnit.Count, summary.violations);
    for (const invariant of summary.failed) {
      const single = deps.metrics.singleMetric();
      single.addDimension('invariant', String(invariant.id));
      single.addMetric(violationsMetric, MetricUnit.Count, invariant.violations);
    }
    // Published only where there is a ledger to count from (the simulator): with a real provider it is unknown, not zero.
    if (report.counts.authorizeThenRefund !== undefined) deps.metrics.addMetric(invariantMetrics.authorizeThenRefund, MetricUnit.Count, report.counts.authorizeThenRefund);
    deps.metrics.publishStoredMetrics();
    const details = {
      summary,
      counts: report.counts,
      transient: report.transient ?? 0,
      findings: report.invariants.flatMap((invariant) => invariant.findings.slice(0, loggedFindingsPerInvariant)),
    };
    if (report.ok) deps.logger.info('invariant audit passed', details);
    else deps.logger.error('invariant audit failed', details);
    return summary;
  };
}
