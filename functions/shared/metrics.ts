import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The Powertools Metrics singleton (CloudWatch embedded metric format).
 * Namespace and service come from POWERTOOLS_METRICS_NAMESPACE and
 * POWERTOOLS_SERVICE_NAME, set by the CDK construct. Its own module, not
 * powertools.ts, so that only the functions that publish metrics bundle it.
 */
export const metrics = new Metrics();
