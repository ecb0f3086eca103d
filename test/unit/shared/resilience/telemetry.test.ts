import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { CircuitBreaker } from '#shared/resilience/circuit-breaker';
import { CircuitOpenError } from '#shared/resilience/errors';
import { observedResilience, recordResilienceMetric } from '#shared/resilience/telemetry';
import { FakeClock } from '../../../helpers/fake-clock';

// As the CDK construct sets it for every function; read when the metrics singleton is created, at import.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'DuckStore';
});

type EmfLine = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
let stdout: MockInstance<typeof process.stdout.write>;
const emitted = (): EmfLine[] =>
  stdout.mock.calls.map(([chunk]) => String(chunk)).filter((text) => text.includes('"_aws"')).map((text) => JSON.parse(text) as EmfLine);
const named = (name: string) => emitted().filter((line) => line._aws.CloudWatchMetrics.some((directive) => directive.Metrics.some((metric) => metric.Name === name)));

beforeEach(() => {
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stdout.mockRestore();
});

describe('resilience metrics (embedded metric format)', () => {
  it('counts every breaker transition with the state it went to as dimension `to`', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker('payment-provider', { windowMs: 10_000, minimumCalls: 2, failureRateThreshold: 0.5, cooldownMs: 1_000, trialCalls: 1 }, clock, observedResilience.onTransition);

    breaker.acquire().failed();
    breaker.acquire().failed();
    await clock.advance(1_000);
    breaker.acquire().succeeded();

    const lines = named('CircuitBreakerTransition');
    expect(lines.map((line) => line.to)).toEqual(['open', 'half-open', 'closed']);
    for (const line of lines) {
      expect(line._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'DuckStore', Dimensions: [expect.arrayContaining(['to'])] });
      expect(line).toMatchObject({ breaker: 'payment-provider', CircuitBreakerTransition: 1 });
    }
  });

  it('counts a call refused by an open breaker as CircuitBreakerOpen = 1', () => {
    observedResilience.onBreakerRefusal?.(new CircuitOpenError('payment-provider', Date.now()));

    expect(named('CircuitBreakerOpen')).toEqual([expect.objectContaining({ CircuitBreakerOpen: 1, breaker: 'payment-provider' })]);
  });

  it('counts a shed request as LoadShed = 1 with the backlog as metadata', () => {
    recordResilienceMetric('loadShed', { metadata: { backlog: '120' } });

    expect(named('LoadShed')).toEqual([expect.objectContaining({ LoadShed: 1, backlog: '120' })]);
  });
});
