import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { table, type Command, type CommandContext } from '../command';
import { discoverDeployment, type Deployment } from '../deployment';
import { deadLetterQueuesOf, selectDeadLetterQueues, type DeadLetterQueueInfo } from '../dlq/catalog';
import { groupByReason, type DeadLetterOrigin, type MessageFilter } from '../dlq/messages';
import { unpublishedRows } from '../dlq/outbox-redrive';
import { redriveEach } from '../dlq/redrive';
import { readAll, release } from '../dlq/sqs-redrive';
import { queueDepths } from '../queues';
import { UsageError } from '../targets';

const origins: DeadLetterOrigin[] = ['parked', 'rule-target', 'receives-exhausted', 'stream-failure'];

function selected(context: CommandContext, deployment: Deployment): DeadLetterQueueInfo[] {
  const selector = context.positionals[0];
  if (!selector) throw new UsageError('name a DLQ (see `duckstore dlq list`), a kind (consumer, forwarding, outbox, scheduled) or `all`');
  const queues = selectDeadLetterQueues(deadLetterQueuesOf(deployment, context.region), selector);
  if (queues.length === 0) throw new UsageError(`no DLQ matches "${selector}"; \`duckstore dlq list\` shows them`);
  return queues;
}

function filterOf(values: CommandContext['values']): MessageFilter {
  const origin = values.origin as string | undefined;
  if (origin !== undefined && !origins.includes(origin as DeadLetterOrigin)) throw new UsageError(`--origin must be one of ${origins.join(', ')}`);
  return {
    ...(values.reason !== undefined ? { reason: String(values.reason) } : {}),
    ...(values['event-type'] !== undefined ? { eventType: String(values['event-type']) } : {}),
    ...(values.order !== undefined ? { orderId: String(values.order) } : {}),
    ...(origin !== undefined ? { origin: origin as DeadLetterOrigin } : {}),
  };
}

function positiveNumber(name: string, raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} takes a number > 0, got "${String(raw)}"`);
  return value;
}

/** Unpublished outbox rows per outbox DLQ: the part of an outbox "DLQ" that is not in the queue. */
async function outboxBacklog(deployment: Deployment, queues: DeadLetterQueueInfo[], olderThanSeconds: number): Promise<Map<string, number>> {
  const now = Date.now();
  const counts = await Promise.all(
    queues
      .filter((queue) => queue.kind === 'outbox' && queue.tableName)
      .map(async (queue) => {
        const rows = await unpublishedRows(DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(queue.region))), queue.tableName!);
        return [queue.url, rows.filter((row) => now - Date.parse(row.createdAt) >= olderThanSeconds * 1000).length] as const;
      }),
  );
  return new Map(counts);
}

export const dlqListCommand: Command = {
  name: 'dlq list',
  usage: 'dlq list',
  summary: 'every DLQ of every kind with depth, age of the oldest message and (outbox) unpublished rows older than 60 s',
  async run(context) {
    const deployment = await discoverDeployment(context.target, context.topology);
    const queues = deadLetterQueuesOf(deployment, context.region);
    const [depths, backlog] = await Promise.all([queueDepths(deployment), outboxBacklog(deployment, queues, 60)]);
    const rows = queues.map((queue) => {
      const depth = depths.find((candidate) => candidate.url === queue.url);
      return { ...queue, visible: depth?.visible ?? 0, inFlight: depth?.inFlight ?? 0, oldestAgeSeconds: depth?.oldestAgeSeconds, outboxRows: backlog.get(queue.url) };
    });
    if (context.json) {
      context.out(JSON.stringify({ target: context.target.name, queues: rows }, null, 2));
    } else {
      context.out(
        table([
          ['region', 'dlq', 'kind', 'visible', 'in flight', 'oldest (s)', 'outbox rows'],
          ...rows.map((row) => [row.region, row.name, row.kind, row.visible, row.inFlight, row.oldestAgeSeconds ?? '-', row.outboxRows ?? '-']),
        ]),
      );
    }
    return 0;
  },
};

export const dlqInspectCommand: Command = {
  name: 'dlq inspect',
  usage: 'dlq inspect QUEUE|KIND|all [--limit N]',
  summary: 'messages of a DLQ grouped by reason, with the original event (outbox: the unpublished rows); changes nothing',
  options: { limit: { type: 'string' } },
  async run(context) {
    const limit = positiveNumber('limit', context.values.limit) ?? 1000;
    const deployment = await discoverDeployment(context.target, context.topology);
    const reports = [];
    for (const queue of selected(context, deployment)) {
      const sqs = new SQSClient(deployment.target.aws(queue.region));
      // Read with a short visibility and released at once: inspecting must not hide messages from a redrive.
      const messages = await readAll(sqs, queue.url, 30, limit);
      await release(sqs, queue.url, messages);
      const rows = queue.kind === 'outbox' && queue.tableName ? await unpublishedRows(DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(queue.region))), queue.tableName) : [];
      reports.push({
        queue: queue.name,
        region: queue.region,
        kind: queue.kind,
        messages: messages.length,
        groups: groupByReason(messages).map(({ example, ...group }) => ({ ...group, example: { messageId: example.messageId, receiveCount: example.receiveCount, sentAt: example.sentAt, reason: example.reason, event: example.event?.body } })),
        ...(queue.kind === 'outbox' ? { unpublishedRows: rows.map((row) => ({ eventId: row.eventId, type: row.detailType, orderId: row.correlationId, createdAt: row.createdAt })) } : {}),
      });
    }
    if (context.json) {
      context.out(JSON.stringify({ target: context.target.name, queues: reports }, null, 2));
      return 0;
    }
    for (const report of reports) {
      context.out(`${report.region} ${report.queue} (${report.kind}): ${report.messages} message(s)`);
      for (const group of report.groups) {
        context.out(`  ${group.count} × [${group.origin}] ${group.reason}  events: ${group.eventTypes.join(', ') || '-'}`);
        context.out(`    e.g. ${JSON.stringify(group.example.event ?? null).slice(0, 400)}`);
      }
      if (report.unpublishedRows) {
        context.out(`  unpublished outbox rows: ${report.unpublishedRows.length}`);
        for (const row of report.unpublishedRows.slice(0, 20)) context.out(`    ${row.createdAt} ${row.type} order ${row.orderId} event ${row.eventId}`);
      }
    }
    return 0;
  },
};

export const dlqRedriveCommand: Command = {
  name: 'dlq redrive',
  usage: 'dlq redrive QUEUE|KIND|all [--dry-run] [--rate N] [--limit N] [--reason TEXT] [--event-type TYPE] [--order ID] [--origin ORIGIN] [--older-than S] [--actor NAME]',
  summary: 'move dead letters back where they came from (queue, outbox re-publish, or re-run), filtered and rate-limited; audited',
  options: {
    'dry-run': { type: 'boolean', default: false },
    rate: { type: 'string' },
    limit: { type: 'string' },
    reason: { type: 'string' },
    'event-type': { type: 'string' },
    order: { type: 'string' },
    origin: { type: 'string' },
    'older-than': { type: 'string' },
    actor: { type: 'string' },
  },
  async run(context) {
    const filter = filterOf(context.values);
    const ratePerSecond = positiveNumber('rate', context.values.rate);
    const limit = positiveNumber('limit', context.values.limit);
    const olderThan = context.values['older-than'] === undefined ? undefined : Number(context.values['older-than']);
    if (olderThan !== undefined && !(olderThan >= 0)) throw new UsageError('--older-than takes a number of seconds ≥ 0');
    const deployment = await discoverDeployment(context.target, context.topology);
    const outcomes = await redriveEach(deployment, selected(context, deployment), {
      filter,
      dryRun: Boolean(context.values['dry-run']),
      ...(ratePerSecond ? { ratePerSecond } : {}),
      ...(limit ? { limit } : {}),
      ...(olderThan !== undefined ? { olderThanSeconds: olderThan } : {}),
      ...(context.values.actor ? { actor: String(context.values.actor) } : {}),
    });
    if (context.json) {
      context.out(JSON.stringify({ target: context.target.name, dryRun: Boolean(context.values['dry-run']), outcomes }, null, 2));
    } else {
      const verb = context.values['dry-run'] ? 'would move' : 'moved';
      context.out(
        table([
          ['region', 'dlq', 'kind', 'method', 'matched', verb, 'left', 'failed', 'events'],
          ...outcomes.map((outcome) => [
            outcome.region,
            outcome.queue,
            outcome.kind,
            outcome.method,
            outcome.matched,
            context.values['dry-run'] ? outcome.matched : outcome.moved,
            outcome.skipped,
            outcome.failed,
            Object.entries(outcome.eventTypes)
              .map(([type, count]) => `${type}=${count}`)
              .join(' ') || '-',
          ]),
        ]),
      );
    }
    return outcomes.some((outcome) => outcome.failed > 0) ? 1 : 0;
  },
};

export const dlqCommands: Command[] = [dlqListCommand, dlqInspectCommand, dlqRedriveCommand];
