import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/**
 * The Powertools singletons. Service name, log level and sampling come from the
 * POWERTOOLS_* environment set by the CDK construct, so one instance serves
 * every function.
 */
export const logger = new Logger();
export const tracer = new Tracer();

/**
 * The one way a DuckStore handler is wired to Powertools (no middleware engine):
 * logger context, a `## handler` subsegment with cold-start and service
 * annotations, and errors recorded on the trace before they propagate.
 */
export function instrumented<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
): (event: TEvent, context: Context) => Promise<TResult> {
  return async (event, context) => {
    logger.addContext(context);
    const parent = tracer.getSegment();
    const subsegment = parent?.addNewSubsegment(`## ${context.functionName}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await handler(event, context);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      logger.error('invocation failed', { error });
      throw error;
    } finally {
      subsegment?.close();
      if (parent) tracer.setSegment(parent);
    }
  };
}

/** Logs and trace annotations of one unit of work (an order) carry its id as correlation id. */
export function correlate(orderId: string): void {
  logger.setCorrelationId(orderId);
  tracer.putAnnotation('orderId', orderId);
}
