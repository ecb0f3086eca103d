import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../metrics';
import { logger } from '../powertools';
import type { CircuitTransition } from './circuit-breaker';
import { CircuitOpenError, SharedCircuitOpenError } from './errors';
import type { ResilientCallerHooks } from './resilient-call';

/** The metric names of the resilience patterns (namespace DuckStore), agreed with the alarms and dashboards over them. */
export const resilienceMetrics = {
  /** A breaker changed state; dimension `to` = open | half-open | closed. Count. */
  circuitBreakerTransition: 'CircuitBreakerTransition',
  /** A call was refused by an open breaker. Count. */
  circuitBreakerOpen: 'CircuitBreakerOpen',
  /** The API refused new work because the backlog was at its limit. Count. */
  loadShed: 'LoadShed',
} as const;

/**
 * Publishes one metric now, as its own EMF line. Dimensions are only the
 * agreed ones (`to` on transitions), so alarms find the metric; which breaker
 * or what backlog goes in as metadata, searchable in the logs.
 */
export function recordResilienceMetric(metric: keyof typeof resilienceMetrics, options: { dimensions?: Record<string, string>; metadata?: Record<string, string> } = {}): void {
  const single = metrics.singleMetric();
  for (const [name, value] of Object.entries(options.dimensions ?? {})) single.addDimension(name, value);
  for (const [name, value] of Object.entries(options.metadata ?? {})) single.addMetadata(name, value);
  single.addMetric(resilienceMetrics[metric], MetricUnit.Count, 1);
}

/** Logs and metrics for a resilient caller: every breaker transition and refusal, every in-process retry. */
export const observedResilience: ResilientCallerHooks = {
  onTransition(transition: CircuitTransition) {
    // Opening is what an operator must notice; closing again is good news.
    const log = transition.to === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger);
    log('circuit breaker transition', { circuitBreaker: transition });
    recordResilienceMetric('circuitBreakerTransition', { dimensions: { to: transition.to }, metadata: { breaker: transition.breaker } });
  },
  onBreakerRefusal(error: CircuitOpenError | SharedCircuitOpenError) {
    if (error instanceof CircuitOpenError) logger.debug('call refused by the open circuit breaker', { breaker: error.breaker, retryAt: new Date(error.retryAt).toISOString() });
    else logger.debug('call refused by the open shared circuit breaker', { breaker: error.breaker });
    // One metric for both: the breaker alarm counts refusals, whichever breaker made them.
    recordResilienceMetric('circuitBreakerOpen', { metadata: { breaker: error.breaker, shared: String(error instanceof SharedCircuitOpenError) } });
  },
  onRetry({ operation, attempt, delayMs, error }) {
    logger.info('retrying a failed call', { operation, attempt, delayMs, error: error instanceof Error ? error.message : String(error) });
  },
};
