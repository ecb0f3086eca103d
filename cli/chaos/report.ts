import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { table } from '../command';
import { formatChargeAfterCancel } from './measure';
import type { ChaosReport } from './runner';

const ms = (value: number | undefined) => (value === undefined ? '-' : `${value} ms`);
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** A scenario's report for a terminal. */
export function formatChaosReport(report: ChaosReport): string[] {
  const { figures } = report;
  const cancelled = Object.entries(figures.cancelled).map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none';
  return [
    `${report.ok ? 'PASS' : 'FAIL'}  ${report.scenario} on ${report.target}, ${(report.durationMs / 1000).toFixed(0)} s`,
    `  orders: ${figures.offered} offered, ${figures.accepted} accepted (${figures.refusedOverloaded} refused as overloaded, ${figures.overloadedAnswers} 503 answers in all), ${figures.confirmed} confirmed (${percent(figures.eventualSuccess)}; ${percent(figures.successWithinDeadline)} by their deadline), cancelled: ${cancelled}, still pending ${figures.pending}`,
    `  saga latency p50 ${ms(figures.sagaP50Ms)}, p95 ${ms(figures.sagaP95Ms)}; provider calls ${report.providerCalls ? `${report.providerCalls.authorize} authorize + ${report.providerCalls.refund} refund + ${report.providerCalls.lookup} look-up` : 'n/a'} (${report.amplification ?? '-'}× per order); duplicates ${report.duplicates.length}; lost ${report.lost.length}; orders ended ${report.settledSeconds === undefined ? 'never' : `${report.settledSeconds} s`} and queues empty ${report.recoverySeconds === undefined ? 'not seen' : `${report.recoverySeconds} s`} after healing`,
    `  ${formatChargeAfterCancel(report.chargeAfterCancel)}`,
    ...report.steps.map((step) => `  t+${step.doneAt}s ${step.do}: ${step.error ? `FAILED ${step.error}` : step.detail}`),
    ...report.checks.map((check) => `  ${check.passed ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`),
  ];
}

/** A table of several scenario reports (the suite's summary). */
export function formatSuite(reports: ChaosReport[]): string {
  return table([
    ['scenario', 'result', 'confirmed', 'cancelled', 'saga p95', 'amplification', 'dups', 'lost', 'auth→refund', 'inv 8', 'recovery', 'audit'],
    ...reports.map((report) => [
      report.scenario,
      report.ok ? 'PASS' : 'FAIL',
      `${report.figures.confirmed}/${report.figures.offered}`,
      Object.values(report.figures.cancelled).reduce((sum, count) => sum + count, 0),
      ms(report.figures.sagaP95Ms),
      report.amplification === undefined ? '-' : `${report.amplification}×`,
      report.duplicates.length,
      report.lost.length,
      report.chargeAfterCancel.authorizeThenRefund?.run ?? 'n/a',
      report.chargeAfterCancel.invariant.passed ? 'ok' : `FAIL ${report.chargeAfterCancel.invariant.violations}`,
      report.recoverySeconds === undefined ? '-' : `${report.recoverySeconds} s`,
      report.audit.ok ? 'green' : `FAIL ${report.audit.failed.map((invariant) => invariant.id).join(',')}`,
    ]),
  ]);
}

/** Writes a report as JSON (the audit's full findings included); returns the path. */
export function writeReport(directory: string, name: string, report: unknown): string {
  mkdirSync(directory, { recursive: true });
  const path = resolve(join(directory, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
  writeFileSync(path, JSON.stringify(report, null, 2));
  return path;
}
