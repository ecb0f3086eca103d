import { InvokeCommand, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { lambda } from './aws-clients';
import type { ConsumerMapping } from './resilience/shared-breaker';

/**
 * The consumer's own event source mapping, found by its function and queue
 * (ListEventSourceMappings) on first use: its UUID cannot be in the
 * function's environment, since the mapping is created after the function
 * and refers to it. Enabling or disabling it is idempotent, on AWS and on
 * the local cloud alike; a disabled mapping receives nothing, so no message
 * counts a receive while the consumer is paused.
 */
export function eventSourceMapping(functionName: string, queueArn: string): ConsumerMapping {
  let uuid: string | undefined;
  const mappingId = async (): Promise<string> => {
    if (uuid) return uuid;
    const { EventSourceMappings = [] } = await lambda().send(new ListEventSourceMappingsCommand({ FunctionName: functionName, EventSourceArn: queueArn }));
    const found = EventSourceMappings.find((mapping) => mapping.EventSourceArn === queueArn)?.UUID;
    if (!found) throw new Error(`no event source mapping from ${queueArn} to ${functionName}`);
    return (uuid = found);
  };
  // Only the fields given change (UpdateEventSourceMapping leaves the others as they are, on AWS and on ministack).
  const scaling = (maximumConcurrency: number | undefined) => (maximumConcurrency === undefined ? {} : { ScalingConfig: { MaximumConcurrency: maximumConcurrency } });
  return {
    async setEnabled(enabled, maximumConcurrency) {
      await lambda().send(new UpdateEventSourceMappingCommand({ UUID: await mappingId(), Enabled: enabled, ...scaling(maximumConcurrency) }));
    },
    async setMaximumConcurrency(maximumConcurrency) {
      await lambda().send(new UpdateEventSourceMappingCommand({ UUID: await mappingId(), ...scaling(maximumConcurrency) }));
    },
  };
}

/** What a probe invocation carries: the function tells it from an SQS batch by this field. */
export interface ProbeInvocation {
  duckstoreProbe: { dependency: string; fromChain: boolean };
}

export const isProbeInvocation = (event: unknown): event is ProbeInvocation =>
  typeof event === 'object' && event !== null && typeof (event as Partial<ProbeInvocation>).duckstoreProbe?.dependency === 'string';

/** Starts the next probe round in a fresh invocation of this function, asynchronously (Lambda retries a failed one twice; the schedule backs it up). */
export function selfInvokingProber(functionName: string, dependency: string): () => Promise<void> {
  return async () => {
    const payload: ProbeInvocation = { duckstoreProbe: { dependency, fromChain: true } };
    await lambda().send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
  };
}
