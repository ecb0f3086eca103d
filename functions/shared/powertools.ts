import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import xraySdk from 'aws-xray-sdk-core';

/**
 * The Powertools singletons. Service name, log level and sampling come from the
 * POWERTOOLS_* environment set by the CDK construct, so one instance serves
 * every function.
 */
export const logger = new Logger();
export const tracer = new Tracer();

/**
 * Local cloud only (DUCKSTORE_XRAY_LAMBDA_SEGMENTS=1, set by local/ministack.ts):
 * plays the Lambda service's part in tracing. On AWS the service records each
 * invocation's `AWS::Lambda::Function` segment, whose id is the `Parent` of
 * `_X_AMZN_TRACE_ID`, and the SDK's subsegments hang under it. ministack sets
 * `_X_AMZN_TRACE_ID` per invocation but records no segment, so without this
 * every subsegment would point at a parent nobody sent.
 */
const emulateLambdaSegments = process.env.DUCKSTORE_XRAY_LAMBDA_SEGMENTS === '1';

function startInvocationSegment(functionName: string): { close(error?: unknown): void } | undefined {
  if (!emulateLambdaSegments || !tracer.isTracingEnabled()) return undefined;
  const fields = new Map((process.env._X_AMZN_TRACE_ID ?? '').split(';').map((part) => part.split('=') as [string, string]));
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  if (!root || !parent) return undefined;
  const segment = new xraySdk.Segment(functionName, root);
  Object.assign(segment, { id: parent, origin: 'AWS::Lambda::Function', aws: { region: process.env.AWS_REGION } });
  return { close: (error) => (error === undefined ? segment.close() : segment.close(error as Error)) };
}

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
    const invocation = startInvocationSegment(context.functionName);
    let failure: unknown;
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
      failure = error;
      throw error;
    } finally {
      subsegment?.close();
      if (parent) tracer.setSegment(parent);
      invocation?.close(failure);
    }
  };
}

/**
 * Logs and trace annotations of one unit of work (an order) carry its id as
 * correlation id; a unit that is a hop of the saga (the API placing an order)
 * also says what it did, like the consumers' segments (`tracing.ts`).
 */
export function correlate(orderId: string, hop?: { eventType: string; context: string; component: string }): void {
  logger.setCorrelationId(orderId);
  tracer.putAnnotation('orderId', orderId);
  if (hop) for (const [key, value] of Object.entries(hop)) tracer.putAnnotation(key, value);
}
