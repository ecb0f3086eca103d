import { deployedRegions } from '../../lib/topology';
import { table, type Command } from '../command';
import { discoverDeployment } from '../deployment';
import { UsageError } from '../targets';
import { readSagaTimeline } from '../saga-timeline';
import { mergeTimeline, traceHops } from '../tracing/timeline';
import { parseSince, readSpans } from '../tracing/trace-store';

export const traceCommand: Command = {
  name: 'trace',
  usage: 'trace ORDER_ID [--since 1d]',
  summary: "an order's saga timeline across contexts and regions: each traced hop, its duration, retries and DLQ visits, with the state changes each context recorded",
  options: { since: { type: 'string', default: '1d' } },
  async run(context) {
    const orderId = context.positionals[0]?.toLowerCase();
    if (!orderId) throw new UsageError('give the order id');
    const to = new Date();
    const from = new Date(to.getTime() - parseSince(String(context.values.since)));
    const deployment = await discoverDeployment(context.target, context.topology);
    const regions = context.region ? [context.region] : deployedRegions(context.topology);
    const [spans, steps] = await Promise.all([readSpans(context.target, regions, { from, to, orderId }), readSagaTimeline(deployment, orderId)]);
    const hops = traceHops(spans, orderId);
    const timeline = mergeTimeline(steps, hops);
    const traces = [...new Set(hops.map((hop) => hop.span.traceId))];
    const summary = {
      orderId,
      traces,
      regions: [...new Set(hops.flatMap((hop) => (hop.region ? [hop.region] : [])))].sort(),
      hops: hops.length,
      disconnected: hops.filter((hop) => !hop.parented).length,
      retries: hops.reduce((sum, hop) => sum + hop.retries, 0),
      deadLettered: hops.filter((hop) => hop.deadLettered).length,
    };
    if (context.json) {
      context.out(JSON.stringify({ ...summary, timeline }, null, 2));
      return timeline.length > 0 ? 0 : 1;
    }
    if (timeline.length === 0) {
      context.out(`order ${orderId}: no state rows and no traced hops in the last ${String(context.values.since)}`);
      return 1;
    }
    context.out(
      `order ${orderId}: ${summary.hops} traced hops in ${traces.length} trace(s) ${traces.join(', ')}; regions ${summary.regions.join(', ') || '-'}; ` +
        `${summary.retries} retries, ${summary.deadLettered} dead-lettered, ${summary.disconnected} hop(s) without their parent`,
    );
    const start = timeline[0]!.at.getTime();
    context.out('');
    context.out(
      table([
        ['+ms', 'region', 'context', 'hop', 'took', 'notes'],
        ...timeline.map((entry) => [entry.at.getTime() - start, entry.region ?? '', entry.context ?? '', entry.what, entry.durationMs === undefined ? '' : `${entry.durationMs} ms`, entry.notes.join('; ')]),
      ]),
    );
    return 0;
  },
};
