import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../cli/chaos/expectations';
import type { PlacedOrder } from '../../../cli/chaos/load';
import { confirmedWithinDeadline, sagaMs } from '../../../cli/chaos/load';
import { runFigures } from '../../../cli/chaos/measure';
import { healingAt, listScenarios, loadScenario, parseScenario, ScenarioError } from '../../../cli/chaos/scenario';

const minimal = { name: 'tiny', description: 'a test scenario', load: { orders: 2 } };

describe('chaos scenario files', () => {
  it('parses every scenario of chaos/scenarios/, covering each fault the issue lists', () => {
    const scenarios = listScenarios();
    const steps = new Set(scenarios.flatMap((scenario) => scenario.timeline.map((step) => step.do)));
    const functionFaults = new Set(scenarios.flatMap((scenario) => scenario.timeline.flatMap((step) => (step.do === 'function-faults' ? step.faults.map((fault) => fault.kind) : []))));
    const providerFaults = new Set(scenarios.flatMap((scenario) => scenario.timeline.flatMap((step) => (step.do === 'provider-faults' ? Object.keys(step.faults) : []))));

    for (const step of ['provider-faults', 'function-faults', 'partition', 'heal-partition', 'throttle', 'poison', 'duplicate-deliveries'] as const) expect(steps).toContain(step);
    for (const kind of ['throw-after-commit', 'duplicate-publish', 'putevents-partial-failure']) expect(functionFaults).toContain(kind);
    for (const fault of ['errorRate', 'latencyMs', 'outage']) expect(providerFaults).toContain(fault);
    expect(scenarios.filter((scenario) => scenario.sets.includes('ci')).length).toBeGreaterThanOrEqual(5);
  });

  it('fills in the defaults: every expectation on, 150 s to converge, the everyday SKUs', () => {
    const scenario = parseScenario(minimal);

    expect(scenario.expect).toEqual({ invariants: true, noLostOrders: true, noDuplicates: true });
    expect(scenario.convergenceSeconds).toBe(150);
    expect(scenario.load).toMatchObject({ orders: 2, concurrency: 4, skus: ['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA'] });
    expect(scenario.sets).toEqual(['all']);
  });

  it('rejects a misspelt fault before anything runs, naming where', () => {
    const typo = { ...minimal, timeline: [{ at: 0, do: 'provider-faults', faults: { errorrate: 0.2 } }] };

    expect(() => parseScenario(typo, 'typo.json')).toThrow(ScenarioError);
    expect(() => parseScenario(typo, 'typo.json')).toThrow(/typo\.json: timeline\.0.*faults/);
  });

  it('rejects an unknown step and a function fault of an unknown kind', () => {
    expect(() => parseScenario({ ...minimal, timeline: [{ at: 0, do: 'unplug-the-server' }] })).toThrow(ScenarioError);
    expect(() => parseScenario({ ...minimal, timeline: [{ at: 0, do: 'function-faults', faults: [{ kind: 'explode', target: 'orders', rate: 1 }] }] })).toThrow(ScenarioError);
  });

  it('orders the timeline by time and measures recovery from the step marked heals, else the last one', () => {
    const marked = parseScenario({ ...minimal, timeline: [{ at: 30, do: 'clear-faults' }, { at: 0, do: 'partition' }, { at: 10, do: 'heal-partition', heals: true }] });
    const unmarked = parseScenario({ ...minimal, timeline: [{ at: 5, do: 'partition' }, { at: 20, do: 'heal-partition' }] });

    expect(marked.timeline.map((step) => step.at)).toEqual([0, 10, 30]);
    expect(healingAt(marked)).toBe(10);
    expect(healingAt(unmarked)).toBe(20);
    expect(healingAt(parseScenario(minimal))).toBe(0);
  });

  it('loads a scenario by path, and refuses a named file whose name differs from its file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'chaos-'));
    writeFileSync(join(directory, 'other.json'), JSON.stringify(minimal));

    expect(loadScenario(join(directory, 'other.json')).name).toBe('tiny');
    expect(() => loadScenario('other', directory)).toThrow(/differs from the file name/);
    expect(() => loadScenario('no-such-scenario', directory)).toThrow(/no scenario "no-such-scenario"/);
  });
});

const order = (overrides: Partial<PlacedOrder>): PlacedOrder => ({
  orderId: 'o',
  idempotencyKey: 'k',
  customerId: 'c',
  sku: 'DUCK-CLASSIC',
  acceptedAt: 0,
  status: 'CONFIRMED',
  createdAt: '2026-01-01T00:00:00.000Z',
  deadline: '2026-01-01T00:00:30.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  ...overrides,
});

describe('chaos measurements and expectations', () => {
  it('counts success by the deadline apart from eventual success', () => {
    const orders = [
      order({ orderId: 'fast' }),
      order({ orderId: 'late', endedAt: '2026-01-01T00:00:45.000Z' }),
      order({ orderId: 'cancelled', status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE', endedAt: '2026-01-01T00:00:40.000Z' }),
      order({ orderId: 'stuck', status: 'PENDING', endedAt: undefined }),
    ];

    const figures = runFigures({ runId: 'r', startedAt: 0, placedAt: 0, orders, rejected: [{ index: 4, status: 503, detail: 'x' }], postP50Ms: 1 }, 5);

    expect(figures).toMatchObject({ offered: 5, accepted: 4, rejected: 1, confirmed: 2, pending: 1, cancelled: { SAGA_DEADLINE: 1 }, eventualSuccess: 0.4, successWithinDeadline: 0.2 });
    expect(sagaMs(orders[1]!)).toBe(45_000);
    expect(confirmedWithinDeadline(orders[1]!)).toBe(false);
    expect(figures.sagaP50Ms).toBe(40_000);
  });

  it('fails each expectation that was not met, and expects poison in the DLQs only when the timeline poisons', () => {
    const scenario = parseScenario({ ...minimal, expect: { minConfirmedRatio: 0.9, recoverWithinSeconds: 30 } });
    const measured = {
      figures: runFigures({ runId: 'r', startedAt: 0, placedAt: 0, orders: [order({}), order({ status: 'CANCELLED' })], rejected: [], postP50Ms: 1 }, 2),
      duplicates: ['o-dup'],
      lost: [],
      recoverySeconds: 45,
      poison: [],
      audit: { ok: false, attempts: 3, waitedMs: 1000, failed: [{ id: 4, title: 'money balances', violations: 1, orderIds: ['o-dup'] }], runOrdersInViolation: ['o-dup'], report: {} as never },
    };

    const checks = evaluate(scenario, measured);

    expect(checks.map((check) => [check.name.split(' ')[0], check.passed])).toEqual([
      ['every', false],
      ['no', true],
      ['no', false],
      ['at', false],
      ['recovers', false],
    ]);
    expect(checks[0]!.detail).toContain('4 money balances');
    expect(evaluate(parseScenario({ ...minimal, timeline: [{ at: 0, do: 'poison' }] }), { ...measured, poison: [] }).at(-1)).toMatchObject({ passed: false, detail: 'no poison message was injected' });
    expect(evaluate(scenario, measured).find((check) => check.name.includes('cancelled'))).toBeUndefined();
  });

  it('counts cancellations against maxCancelled and names their reasons', () => {
    const scenario = parseScenario({ ...minimal, expect: { maxCancelled: 0 } });
    const measure = (orders: PlacedOrder[]) => ({
      figures: runFigures({ runId: 'r', startedAt: 0, placedAt: 0, orders, rejected: [], postP50Ms: 1 }, orders.length),
      duplicates: [],
      lost: [],
      recoverySeconds: 1,
      poison: [],
      audit: { ok: true, attempts: 1, waitedMs: 0, failed: [], runOrdersInViolation: [], report: {} as never },
    });
    const cancelledCheck = (orders: PlacedOrder[]) => evaluate(scenario, measure(orders)).find((check) => check.name === 'at most 0 order(s) cancelled');

    expect(cancelledCheck([order({}), order({ orderId: 'o2' })])).toMatchObject({ passed: true, detail: 'none cancelled' });
    expect(cancelledCheck([order({}), order({ orderId: 'o2', status: 'CANCELLED', cancellationReason: 'SAGA_DEADLINE' })])).toMatchObject({
      passed: false,
      detail: '1 cancelled: SAGA_DEADLINE 1',
    });
  });

  it('checks that a burst was really shed (503 overloaded, by reason) and that enough was still accepted', () => {
    const scenario = parseScenario({ ...minimal, expect: { minRefusedOverloaded: 2, minAcceptedRatio: 0.5 } });
    const shed = (index: number, reason: string) => ({ index, status: 503 as const, detail: `503 Too many orders in progress: the service cannot finish a new order in time (${reason}: …)` });
    const measure = (accepted: number, rejected: { index: number; status: number | 'network'; detail: string }[]) => ({
      figures: runFigures({ runId: 'r', startedAt: 0, placedAt: 0, orders: Array.from({ length: accepted }, (_, index) => order({ orderId: `o${index}` })), rejected, postP50Ms: 1 }, accepted + rejected.length),
      duplicates: [],
      lost: [],
      recoverySeconds: 1,
      poison: [],
      audit: { ok: true, attempts: 1, waitedMs: 0, failed: [], runOrdersInViolation: [], report: {} as never },
    });

    const passing = evaluate(scenario, measure(2, [shed(2, 'oldest-age'), shed(3, 'count')]));
    const failing = evaluate(scenario, measure(1, [shed(1, 'oldest-age'), { index: 2, status: 500, detail: 'boom' }, { index: 3, status: 'network', detail: 'reset' }]));

    expect(passing.filter((check) => check.name.includes('accepted') || check.name.includes('overloaded'))).toEqual([
      { name: 'at least 50.0% of orders accepted', passed: true, detail: '2 of 4 (50.0%)' },
      { name: 'at least 2 POST(s) refused as overloaded (503)', passed: true, detail: '2 refused with 503 of 2 refused in all (oldest-age 1, count 1)' },
    ]);
    expect(failing.filter((check) => !check.passed).map((check) => check.name)).toEqual(['at least 50.0% of orders accepted', 'at least 2 POST(s) refused as overloaded (503)']);
  });

  it('parses a saga-deadline step, and refuses a deadline shorter than twice the margin', () => {
    expect(parseScenario({ ...minimal, timeline: [{ at: 0, do: 'saga-deadline', seconds: 300 }, { at: 9, do: 'saga-deadline' }] }).timeline.map((step) => step.do)).toEqual(['saga-deadline', 'saga-deadline']);
    expect(() => parseScenario({ ...minimal, timeline: [{ at: 0, do: 'saga-deadline', seconds: 15 }] })).toThrow(/timeline/);
  });
});
