import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { businessMetrics } from '#contracts/business-metrics';

/**
 * The Powertools Metrics singleton (CloudWatch embedded metric format).
 * Namespace and service come from POWERTOOLS_METRICS_NAMESPACE and
 * POWERTOOLS_SERVICE_NAME, set by the CDK construct. Its own module, not
 * powertools.ts, so that only the functions that publish metrics bundle it.
 */
export const metrics = new Metrics();

type BusinessMetric = Exclude<keyof typeof businessMetrics, 'namespace'>;

/**
 * Publishes one business metric now, as its own EMF line, with the order id as
 * metadata (searchable in the logs, not a dimension). For adapters and handlers
 * that record a committed fact: the line is out whatever happens to the rest
 * of the invocation, and no flush at the end of the handler can be forgotten.
 */
export function recordBusinessMetric(
  metric: BusinessMetric,
  value: number,
  options: { orderId: string; dimensions?: Record<string, string> },
): void {
  const single = metrics.singleMetric();
  for (const [name, dimension] of Object.entries(options.dimensions ?? {})) single.addDimension(name, dimension);
  single.addMetadata('orderId', options.orderId);
  single.addMetric(businessMetrics[metric], metric === 'sagaDurationMs' ? MetricUnit.Milliseconds : MetricUnit.Count, value);
}
