import type { ChaosReport } from './runner';
import type { Scenario } from './scenario';

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

/** What only some expectations read is optional, so a caller measuring a part need not fake the rest. */
type Measured = Pick<ChaosReport, 'figures' | 'duplicates' | 'lost' | 'recoverySeconds' | 'poison' | 'audit'> &
  Partial<Pick<ChaosReport, 'chargeAfterCancel' | 'redrives' | 'deadLettersAtEnd' | 'amplification' | 'providerCalls'>>;

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The scenario's expectations against what was measured: one check each, in a fixed order. */
export function evaluate(scenario: Pick<Scenario, 'expect' | 'timeline' | 'convergenceSeconds'>, measured: Measured): Check[] {
  const { expect } = scenario;
  const checks: Check[] = [];
  if (expect.invariants) {
    checks.push({
      name: 'every invariant holds after healing (audit)',
      passed: measured.audit.ok,
      detail: measured.audit.ok
        ? `all invariants pass, converged after ${measured.audit.waitedMs} ms (${measured.audit.attempts} audit(s))`
        : `violated: ${measured.audit.failed.map((invariant) => `${invariant.id} ${invariant.title} (${invariant.violations}: ${invariant.orderIds.slice(0, 3).join(' ')})`).join('; ')}`,
    });
  }
  if (expect.noLostOrders) {
    checks.push({
      name: 'no lost order',
      passed: measured.lost.length === 0,
      detail: measured.lost.length === 0 ? `all ${measured.figures.accepted} accepted orders ended and were seen downstream` : measured.lost.slice(0, 5).map((order) => `${order.orderId}: ${order.why}`).join('; '),
    });
  }
  if (expect.noDuplicates) {
    checks.push({
      name: 'no duplicate charge',
      passed: measured.duplicates.length === 0,
      detail: measured.duplicates.length === 0 ? 'at most one charge per order at the provider' : `${measured.duplicates.length} order(s) charged more than once: ${measured.duplicates.slice(0, 5).join(' ')}`,
    });
  }
  if (expect.minAcceptedRatio !== undefined) {
    const { accepted, offered } = measured.figures;
    const ratio = offered === 0 ? 1 : accepted / offered;
    checks.push({ name: `at least ${percent(expect.minAcceptedRatio)} of orders accepted`, passed: ratio >= expect.minAcceptedRatio, detail: `${accepted} of ${offered} (${percent(ratio)})` });
  }
  if (expect.minRefusedOverloaded !== undefined) {
    const { refusedOverloaded, rejected } = measured.figures;
    checks.push({
      name: `at least ${expect.minRefusedOverloaded} POST(s) refused as overloaded (503)`,
      passed: refusedOverloaded >= expect.minRefusedOverloaded,
      detail: `${refusedOverloaded} refused with 503 of ${rejected} refused in all${Object.keys(measured.figures.shedReasons).length ? ` (${Object.entries(measured.figures.shedReasons).map(([reason, count]) => `${reason} ${count}`).join(', ')})` : ''}`,
    });
  }
  if (expect.minConfirmedRatio !== undefined) {
    const { confirmed, offered } = measured.figures;
    const ratio = offered === 0 ? 1 : confirmed / offered;
    checks.push({
      name: `at least ${percent(expect.minConfirmedRatio)} of orders confirmed`,
      passed: ratio >= expect.minConfirmedRatio,
      detail: `${confirmed} of ${offered} (${percent(ratio)})`,
    });
  }
  if (expect.maxCancelled !== undefined) {
    const byReason = Object.entries(measured.figures.cancelled);
    const cancelled = byReason.reduce((sum, [, count]) => sum + count, 0);
    checks.push({
      name: `at most ${expect.maxCancelled} order(s) cancelled`,
      passed: cancelled <= expect.maxCancelled,
      detail: cancelled === 0 ? 'none cancelled' : `${cancelled} cancelled: ${byReason.map(([reason, count]) => `${reason} ${count}`).join(', ')}`,
    });
  }
  if (expect.recoverWithinSeconds !== undefined) {
    checks.push({
      name: `recovers within ${expect.recoverWithinSeconds} s of healing`,
      passed: measured.recoverySeconds !== undefined && measured.recoverySeconds <= expect.recoverWithinSeconds,
      detail: measured.recoverySeconds === undefined ? `not recovered within ${scenario.convergenceSeconds} s` : `recovered after ${measured.recoverySeconds} s`,
    });
  }
  const poisons = scenario.timeline.some((step) => step.do === 'poison');
  if (expect.poisonDeadLettered ?? poisons) {
    const missing = measured.poison.filter((message) => !message.reason);
    checks.push({
      name: 'every poison message dead-lettered with its reason',
      passed: measured.poison.length > 0 && missing.length === 0,
      detail:
        measured.poison.length === 0
          ? 'no poison message was injected'
          : missing.length === 0
            ? `${measured.poison.length} found in ${[...new Set(measured.poison.map((message) => message.context))].join(', ')} DLQs, e.g. "${measured.poison[0]!.reason!.slice(0, 120)}"`
            : `${missing.length} of ${measured.poison.length} not found in their DLQ: ${missing.map((message) => message.context).join(', ')}`,
    });
  }
  if (expect.maxAuthorizeThenRefund !== undefined) {
    const refunds = measured.chargeAfterCancel?.authorizeThenRefund;
    checks.push({
      name: `at most ${expect.maxAuthorizeThenRefund} order(s) authorized then refunded`,
      passed: refunds !== undefined && refunds.run <= expect.maxAuthorizeThenRefund,
      detail: refunds === undefined ? 'not counted (no provider ledger)' : `${refunds.run} (${refunds.cancelledBeforeHeal} cancelled before the heal, ${refunds.cancelledAfterHeal} after)`,
    });
  }
  if (expect.noDeadLetters) {
    const parked = measured.deadLettersAtEnd;
    checks.push({
      name: 'nothing parked in a DLQ',
      passed: parked !== undefined && parked.length === 0,
      detail: parked === undefined ? 'DLQ depths not measured' : parked.length === 0 ? 'every DLQ empty at the end' : parked.map((entry) => `${entry.queue}=${entry.messages}`).join(', '),
    });
  }
  if (expect.maxAmplification !== undefined) {
    const { amplification, providerCalls: calls } = measured;
    checks.push({
      name: `amplification at most ${expect.maxAmplification}× (every provider request counted)`,
      passed: amplification !== undefined && amplification <= expect.maxAmplification,
      detail:
        amplification === undefined || !calls
          ? 'no provider call counter (a real provider?)'
          : `${amplification}×: ${calls.authorize} authorize + ${calls.refund} refund + ${calls.lookup} look-up (probes included) for ${measured.figures.offered} order(s)`,
    });
  }
  if (expect.minRedriven !== undefined) {
    const redrives = measured.redrives ?? [];
    const moved = redrives.reduce((sum, outcome) => sum + outcome.moved, 0);
    checks.push({
      name: `at least ${expect.minRedriven} dead letter(s) redriven`,
      passed: moved >= expect.minRedriven,
      detail: `${moved} moved back${moved ? `: ${redrives.filter((outcome) => outcome.moved > 0).map((outcome) => `${outcome.queue} ${outcome.moved}`).join(', ')}` : ' (the fault filled no DLQ)'}`,
    });
  }
  return checks;
}
