import { describe, expect, it } from 'vitest';
import { experimentChartSvg } from '../../../cli/chaos/chart';
import { configurations, configurationScenario, defaultExperimentSettings, mergeResults, resultTable, type CompactReport, type ExperimentResult } from '../../../cli/chaos/experiment';
import { runFigures } from '../../../cli/chaos/measure';

describe('resilience experiment', () => {
  it('runs the study configurations in order, provider idempotency only in the last', () => {
    expect(configurations.map((configuration) => configuration.profile)).toEqual(['none', 'retries', 'timeouts', 'breaker', 'bulkhead', 'full']);
    expect(configurations.map((configuration) => configuration.providerIdempotency)).toEqual([false, false, false, false, false, true]);
    expect(configurations.filter((configuration) => configuration.published).map((configuration) => [configuration.profile, configuration.published])).toEqual([
      ['retries', { success: 0.51, amplification: 2.6 }],
      ['full', { success: 0.94, amplification: 1.1 }],
    ]);
  });

  it('keeps the fault on while the orders are placed and heals it when the last one is', () => {
    const scenario = configurationScenario(configurations[0]!, { ...defaultExperimentSettings, orders: 30, ratePerSecond: 2 });

    expect(scenario.load).toMatchObject({ orders: 30, ratePerSecond: 2, concurrency: defaultExperimentSettings.concurrency });
    expect(scenario.timeline).toEqual([{ at: 15, do: 'provider-faults', faults: {}, heals: true }]);
  });

  it('rewrites only the generated section of the note, keeping the analysis around it', () => {
    const first = mergeResults(undefined, ['<!-- experiment results: written by `npm run experiment`; edit outside these markers -->', 'run 1', '<!-- end of experiment results -->'], '# Title\n');
    const edited = `${first}\n## Analysis\nhand-written\n`;

    const second = mergeResults(edited, ['<!-- experiment results: written by `npm run experiment`; edit outside these markers -->', 'run 2', '<!-- end of experiment results -->'], '# Title\n');

    expect(second).toContain('# Title');
    expect(second).toContain('run 2');
    expect(second).not.toContain('run 1');
    expect(second).toContain('hand-written');
  });

  it('draws a bar per figure, and the published figures as markers', () => {
    const svg = experimentChartSvg(
      [
        { label: 'no resilience', eventualSuccess: 0.8, successWithinDeadline: 0.75, amplification: 1.2 },
        { label: 'retries only', eventualSuccess: 0.9, successWithinDeadline: 0.9, amplification: 2, published: { success: 0.51, amplification: 2.6 } },
      ],
      'title <&>',
      'subtitle',
    );

    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('title &lt;&amp;&gt;');
    expect(svg.match(/<rect /g)).toHaveLength(1 + 4 + 2 + 3);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2 + 1);
  });

  it("shows each configuration's authorize-then-refund count, split at the heal, and a dash for results measured before it was counted", () => {
    const report = (authorizeThenRefund?: { run: number; cancelledBeforeHeal: number; cancelledAfterHeal: number; deployment: number }) =>
      ({
        figures: runFigures({ runId: 'r', startedAt: 0, placedAt: 0, orders: [], rejected: [], postP50Ms: undefined }, 0),
        amplification: 1,
        duplicates: [],
        lost: [],
        recoverySeconds: 3,
        audit: { ok: true, runOrdersInViolation: [], failed: [] },
        ...(authorizeThenRefund ? { chargeAfterCancel: { invariant: { passed: true, checked: 1, violations: 0, orderIds: [] }, authorizeThenRefund } } : {}),
      }) as unknown as CompactReport;
    const result = {
      configurations: [
        { ...configurations[0]!, report: report({ run: 3, cancelledBeforeHeal: 1, cancelledAfterHeal: 2, deployment: 9 }) },
        { ...configurations[5]!, report: report() },
      ],
    } as unknown as ExperimentResult;

    const [header, , counted, older] = resultTable(result);
    const column = header!.split('|').findIndex((cell) => cell.includes('authorized then refunded'));

    expect(column).toBeGreaterThan(0);
    expect(counted!.split('|')[column]!.trim()).toBe('3 (1 / 2)');
    expect(older!.split('|')[column]!.trim()).toBe('–');
  });
});
