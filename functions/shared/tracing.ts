import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import xraySdk from 'aws-xray-sdk-core';
import { tracer } from './powertools';
import type { FailedEntry } from './publish-events';

const { Segment, getNamespace, setSegment } = xraySdk;
type XraySegment = InstanceType<typeof Segment>;
type XraySubsegment = ReturnType<XraySegment['addNewSubsegment']>;

/**
 * Trace continuity across the async hops of a saga.
 *
 * Lambda starts a new trace for every stream batch and (for a batch) every SQS
 * poll, so the work one order causes would scatter over many traces. Instead,
 * each unit of work about one order (an outbox row relayed, an event consumed
 * or forwarded) runs in its own segment *in the order's trace*, parented on the
 * trace header that came with it: the PutEvents `TraceHeader` / SQS
 * `AWSTraceHeader` where the platform carries it, else the header the producer
 * stamped into the event's metadata (the outbox row), which survives the
 * DynamoDB stream. This is the per-message segment the X-Ray documentation
 * describes for SQS batches. Each segment is annotated with orderId,
 * eventType, context and component, so traces are searchable by order.
 */

export interface TraceHeader {
  /** `1-<8 hex epoch>-<24 hex>` */
  root: string;
  /** Id of the (sub)segment that sent the message. */
  parent?: string;
  sampled?: boolean;
}

const rootPattern = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const idPattern = /^[0-9a-f]{16}$/;

/** `Root=1-…;Parent=…;Sampled=1` (the X-Ray header, in any field order), or undefined if it has no valid root. */
export function parseTraceHeader(value: string | undefined): TraceHeader | undefined {
  if (!value) return undefined;
  const fields = new Map(
    value.split(';').map((part) => {
      const [key = '', ...rest] = part.trim().split('=');
      return [key.trim(), rest.join('=').trim()] as const;
    }),
  );
  const root = fields.get('Root');
  if (!root || !rootPattern.test(root)) return undefined;
  const parent = fields.get('Parent');
  const sampled = fields.get('Sampled');
  return { root, ...(parent && idPattern.test(parent) ? { parent } : {}), ...(sampled === '0' || sampled === '1' ? { sampled: sampled === '1' } : {}) };
}

export const formatTraceHeader = ({ root, parent, sampled }: TraceHeader): string =>
  [`Root=${root}`, ...(parent ? [`Parent=${parent}`] : []), `Sampled=${sampled === false ? 0 : 1}`].join(';');

/** The (sub)segment work runs in now, if tracing is on and one is active. */
function activeSegment(): XraySegment | XraySubsegment | undefined {
  if (!tracer.isTracingEnabled()) return undefined;
  return tracer.getSegment() as XraySegment | XraySubsegment | undefined;
}

/**
 * The header that continues the trace from the (sub)segment active now: what a
 * producer stamps on what it sends (an outbox row). Undefined when tracing is
 * off or nothing is being traced.
 */
export function currentTraceHeader(): string | undefined {
  let active = activeSegment();
  // A call's subsegment is not the writer: Powertools' fetch instrumentation can leave an HTTP call's
  // subsegment active after its response (when the response is observed in another async context).
  while (active && 'parent' in active && active.parent && ((active as { namespace?: string }).namespace === 'remote' || active.isClosed())) {
    active = active.parent as XraySegment | XraySubsegment;
  }
  if (!active) return undefined;
  const owner = 'segment' in active && active.segment ? (active.segment as XraySegment) : (active as XraySegment);
  const root = (owner as unknown as { trace_id?: string }).trace_id;
  if (!root || !rootPattern.test(root) || root === '1-00000000-000000000000000000000000') return undefined;
  // The Lambda facade carries the invocation's sampling decision (`Sampled=` of `_X_AMZN_TRACE_ID`) the same way.
  return formatTraceHeader({ root, parent: active.id, sampled: (owner as unknown as { notTraced?: boolean }).notTraced !== true });
}

export interface UnitOfWork {
  /** The header that came with the message; without one, the work starts a trace of its own. */
  header: string | undefined;
  orderId: string;
  eventType: string;
  /** The bounded context the work belongs to (orders, inventory, payments, notifications). */
  context: string;
  /** consumer, relay, forwarder, … */
  component: string;
  /** Extra searchable annotations, e.g. the SQS receive count. */
  annotations?: Record<string, string | number | boolean>;
}

const region = () => process.env.AWS_REGION ?? 'unknown';

/** A segment of this function, in the trace of `unit.header`, annotated; not yet active. */
function openSegment(unit: UnitOfWork): XraySegment {
  const header = parseTraceHeader(unit.header);
  const segment = new Segment(process.env.AWS_LAMBDA_FUNCTION_NAME ?? unit.component, header?.root ?? null, header?.parent ?? null);
  const fields = segment as unknown as Record<string, unknown>;
  fields.origin = 'AWS::Lambda::Function';
  fields.aws = { region: region() };
  if (header?.sampled === false) fields.notTraced = true;
  const annotations = { orderId: unit.orderId, eventType: unit.eventType, context: unit.context, component: unit.component, region: region(), ...unit.annotations };
  for (const [key, value] of Object.entries(annotations)) segment.addAnnotation(key, value);
  return segment;
}

/**
 * Closes subsegments the work left open, so the segment is sent: a segment is
 * only emitted once its last subsegment closes, and an instrumented call whose
 * completion the SDK missed (an HTTP response observed in another async
 * context) would otherwise hold the whole unit of work back for good.
 */
function closeLeftOpen(node: { subsegments?: XraySubsegment[] }): void {
  for (const subsegment of [...(node.subsegments ?? [])]) {
    closeLeftOpen(subsegment);
    if (!subsegment.isClosed()) {
      subsegment.addMetadata('closedBy', 'end of the unit of work');
      subsegment.close();
    }
  }
}

/**
 * Runs `work` in a segment of the order's trace, active for every traced call
 * it makes (SDK clients, fetch) and for `currentTraceHeader()`. Each unit gets
 * its own async context, so records processed concurrently do not share one.
 * A failure is recorded as a fault, or as an error when `isExpected(error)`
 * (a message dead-lettered as poison), and rethrown.
 */
export async function traceUnitOfWork<T>(unit: UnitOfWork, work: () => Promise<T>, isExpected: (error: unknown) => boolean = () => false): Promise<T> {
  if (!tracer.isTracingEnabled()) return work();
  const segment = openSegment(unit);
  try {
    const result = await getNamespace().runPromise(async () => {
      setSegment(segment);
      return work();
    });
    closeLeftOpen(segment);
    segment.close();
    return result;
  } catch (error) {
    closeLeftOpen(segment);
    if (isExpected(error)) {
      segment.addAnnotation('deadLettered', true);
      segment.addErrorFlag();
      segment.close();
    } else {
      segment.close(error as Error);
    }
    throw error;
  }
}

/** The order, event and context of an entry's EventBridge detail (`{ metadata, data }`). */
function describeEntry(entry: PutEventsRequestEntry): { orderId: string; eventType: string; context: string } {
  let metadata: { correlationId?: unknown } = {};
  try {
    metadata = (JSON.parse(entry.Detail ?? '{}') as { metadata?: typeof metadata }).metadata ?? {};
  } catch {
    // An entry that is not JSON is still published (and rejected by EventBridge); its segment just names no order.
  }
  return {
    orderId: typeof metadata.correlationId === 'string' ? metadata.correlationId : 'unknown',
    eventType: entry.DetailType ?? 'unknown',
    context: (entry.Source ?? '').replace(/^duckstore\./, '') || 'unknown',
  };
}

/**
 * Publishes entries, each in a segment of its own order's trace with an
 * `EventBridge PutEvents` subsegment whose id becomes the entry's
 * `TraceHeader`: EventBridge hands that header on to SQS targets as
 * `AWSTraceHeader`, so each consumer continues its order's trace from here.
 * One PutEvents call may carry entries of several orders; each entry has its
 * own header. Entries that still failed are marked as faults.
 */
export async function publishTraced(
  entries: PutEventsRequestEntry[],
  publish: (entries: PutEventsRequestEntry[]) => Promise<FailedEntry[]>,
  hop: { component: string; region: string },
): Promise<FailedEntry[]> {
  if (!tracer.isTracingEnabled() || entries.length === 0) return publish(entries);
  const traced = entries.map((entry) => {
    const described = describeEntry(entry);
    const segment = openSegment({ header: entry.TraceHeader, ...described, component: hop.component });
    const call = segment.addNewSubsegment('EventBridge');
    call.addAttribute('namespace', 'aws');
    call.addAttribute('aws', { operation: 'PutEvents', region: hop.region, event_bus_name: entry.EventBusName });
    const header = formatTraceHeader({ root: (segment as unknown as { trace_id: string }).trace_id, parent: call.id, sampled: (segment as unknown as { notTraced?: boolean }).notTraced !== true });
    return { segment, call, entry: { ...entry, TraceHeader: header } };
  });
  let failures: FailedEntry[] = [];
  try {
    failures = await publish(traced.map(({ entry }) => entry));
    return failures;
  } catch (error) {
    traced.forEach(({ call }) => call.addError(error as Error));
    throw error;
  } finally {
    const failed = new Map(failures.map((failure) => [failure.index, failure]));
    traced.forEach(({ segment, call }, index) => {
      const failure = failed.get(index);
      if (failure) call.addError(`${failure.errorCode} ${failure.errorMessage}`.trim());
      call.close();
      segment.close();
    });
  }
}
