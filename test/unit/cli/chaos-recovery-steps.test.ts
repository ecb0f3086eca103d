import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../cli/chaos/expectations';
import { chargeAfterCancelOf, formatChargeAfterCancel, runFigures, type ChargeAfterCancel } from '../../../cli/chaos/measure';
import { healingAt, loadScenario, parseScenario, ScenarioError } from '../../../cli/chaos/scenario';
import type { RedriveOutcome } from '../../../cli/dlq/redrive';
import { invariantResult } from '../../../functions/auditor/domain/audit';

const minimal = { name: 'tiny', description: 'a test scenario', load: { orders: 2 } };

const measured = (chargeAfterCancel: ChargeAfterCancel | undefined, redrives: RedriveOutcome[] = []) => ({
  figures: runFigures({ runId: 'r', startedAt: 0, placedAt: 0, orders: [], rejected: [], postP50Ms: undefined }, 0),
  duplicates: [],
  lost: [],
  recoverySeconds: 1,
  poison: [],
  audit: { ok: true, attempts: 1, waitedMs: 0, failed: [], runOrdersInViolation: [], report: {} as never },
  ...(chargeAfterCancel ? { chargeAfterCancel } : {}),
  redrives,
});

const refunds = (run: number): ChargeAfterCancel => ({
  invariant: { passed: true, checked: 3, violations: 0, orderIds: [] },
  authorizeThenRefund: { run, cancelledBeforeHeal: run, cancelledAfterHeal: 0, deployment: run + 2 },
});

const outcome = (queue: string, moved: number): RedriveOutcome => ({ queue, region: 'us-west-2', kind: 'consumer', method: 'receive-send-delete', matched: moved, moved, skipped: 0, failed: 0, eventTypes: {}, auditRecord: 'r' });

describe('chaos recovery steps', () => {
  it('redrives every DLQ unless told which, and refuses an empty selector', () => {
    const scenario = parseScenario({ ...minimal, timeline: [{ at: 5, do: 'redrive-dead-letters' }, { at: 6, do: 'redrive-dead-letters', queues: 'consumer' }, { at: 7, do: 'replay-archive' }] });

    expect(scenario.timeline).toEqual([
      { at: 5, do: 'redrive-dead-letters', queues: 'all' },
      { at: 6, do: 'redrive-dead-letters', queues: 'consumer' },
      { at: 7, do: 'replay-archive' },
    ]);
    expect(() => parseScenario({ ...minimal, timeline: [{ at: 0, do: 'redrive-dead-letters', queues: '' }] })).toThrow(ScenarioError);
  });

  it('redrive-after-cancel fills the DLQ from the start, heals before it redrives and replays, and allows no hold on a card', () => {
    const scenario = loadScenario('redrive-after-cancel');
    const at = (kind: string) => scenario.timeline.find((step) => step.do === kind)?.at;

    expect(at('function-faults')).toBe(0);
    expect(healingAt(scenario)).toBeLessThan(at('redrive-dead-letters')!);
    expect(at('redrive-dead-letters')!).toBeLessThanOrEqual(at('replay-archive')!);
    expect(scenario.expect).toMatchObject({ invariants: true, noLostOrders: true, noDuplicates: true, maxAuthorizeThenRefund: 0 });
    expect(scenario.expect.minRedriven).toBeGreaterThan(0);
  });
});

describe('authorize-then-refund and redrive expectations', () => {
  it('passes maxAuthorizeThenRefund at the bound, fails above it and when nothing could be counted', () => {
    const scenario = parseScenario({ ...minimal, expect: { maxAuthorizeThenRefund: 0 } });
    const check = (chargeAfterCancel: ChargeAfterCancel | undefined) => evaluate(scenario, measured(chargeAfterCancel)).find((candidate) => candidate.name.includes('authorized then refunded'));

    expect(check(refunds(0))).toMatchObject({ passed: true });
    expect(check(refunds(1))).toMatchObject({ passed: false, detail: '1 (1 cancelled before the heal, 0 after)' });
    expect(check({ ...refunds(0), authorizeThenRefund: undefined })).toMatchObject({ passed: false, detail: 'not counted (no provider ledger)' });
    expect(check(undefined)).toMatchObject({ passed: false });
    expect(evaluate(parseScenario(minimal), measured(refunds(5))).find((candidate) => candidate.name.includes('refunded'))).toBeUndefined();
  });

  it('fails minRedriven when the fault filled no DLQ', () => {
    const scenario = parseScenario({ ...minimal, expect: { minRedriven: 1 } });
    const check = (redrives: RedriveOutcome[]) => evaluate(scenario, measured(refunds(0), redrives)).find((candidate) => candidate.name.includes('redriven'));

    expect(check([outcome('PaymentsConsumerDeadLetters', 4), outcome('InventoryConsumerDeadLetters', 0)])).toMatchObject({ passed: true, detail: '4 moved back: PaymentsConsumerDeadLetters 4' });
    expect(check([outcome('PaymentsConsumerDeadLetters', 0)])).toMatchObject({ passed: false, detail: '0 moved back (the fault filled no DLQ)' });
  });
});

describe('invariant 8 and authorize-then-refund of one run', () => {
  const healedAt = Date.parse('2026-12-01T10:00:00.000Z');
  const entry = (orderId: string, cancelledAt: string | undefined) => ({ orderId, authorizationId: `auth_${orderId}`, authorizedAt: '2026-12-01T09:59:00.000Z', cancelledAt });
  const passing = invariantResult(8, 7, [], []);

  it("counts only the run's orders, split at the heal, and keeps the deployment's total", () => {
    const report = {
      invariants: [passing],
      authorizeThenRefunds: [entry('during', '2026-12-01T09:59:30.000Z'), entry('after', '2026-12-01T10:00:05.000Z'), entry('earlier-run', '2026-12-01T08:00:00.000Z')],
    };

    const figures = chargeAfterCancelOf(report, new Set(['during', 'after', 'clean']), healedAt);

    expect(figures).toEqual({ invariant: { passed: true, checked: 7, violations: 0, orderIds: [] }, authorizeThenRefund: { run: 2, cancelledBeforeHeal: 1, cancelledAfterHeal: 1, deployment: 3 } });
    expect(formatChargeAfterCancel(figures)).toBe('invariant 8 no-charge-after-cancel ok (7 authorization(s) checked); authorize-then-refund 2 (1 cancelled before the heal, 1 after; 3 in the whole deployment)');
  });

  it('reports a violation of invariant 8 with its orders, and no count without a ledger', () => {
    const failed = invariantResult(8, 2, [{ invariant: 8, code: 'authorized-after-cancel', message: 'm', orderId: 'o-1' }], []);

    const figures = chargeAfterCancelOf({ invariants: [failed], authorizeThenRefunds: undefined }, new Set(['o-1']), healedAt);

    expect(figures).toEqual({ invariant: { passed: false, checked: 2, violations: 1, orderIds: ['o-1'] }, authorizeThenRefund: undefined });
    expect(formatChargeAfterCancel(figures)).toBe('invariant 8 no-charge-after-cancel FAILED: 1 finding(s), orders o-1; authorize-then-refund n/a (no provider ledger)');
  });
});
