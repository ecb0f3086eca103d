import { GetQueueAttributesCommand, SQSClient, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Deployment } from '../deployment';
import { actorOf, writeAuditRecord } from '../operations-audit';
import type { DeadLetterQueueInfo } from './catalog';
import type { MessageFilter } from './messages';
import { matches } from './messages';
import { redriveOutbox } from './outbox-redrive';
import { readAll, redriveQueue, release, type QueueRedriveOptions } from './sqs-redrive';

export interface RedriveOptions extends Omit<QueueRedriveOptions, 'filter'> {
  filter: MessageFilter;
  actor?: string;
  /** Outbox: only rows at least this old. */
  olderThanSeconds?: number;
}

export interface RedriveOutcome {
  queue: string;
  region: string;
  kind: DeadLetterQueueInfo['kind'];
  method: string;
  matched: number;
  moved: number;
  skipped: number;
  failed: number;
  eventTypes: Record<string, number>;
  auditRecord: string;
}

/** A scheduled function's DLQ holds the events of runs that failed: run the function again with each, delete it when the run succeeded. */
async function redriveScheduled(deployment: Deployment, queue: DeadLetterQueueInfo, options: RedriveOptions) {
  if (!queue.functionName) throw new Error(`no function found for ${queue.name}`);
  const sqs = new SQSClient(deployment.target.aws(queue.region));
  const lambda = new LambdaClient(deployment.target.aws(queue.region));
  const messages = await readAll(sqs, queue.url, 300);
  const selected = messages.filter((message) => matches(message, options.filter)).slice(0, options.limit ?? Infinity);
  const result = { method: 'invoke-again', matched: selected.length, moved: 0, skipped: messages.length - selected.length, failed: 0, eventTypes: {} as Record<string, number> };
  const keep = messages.filter((message) => !selected.includes(message));
  try {
    for (const message of selected) {
      if (options.dryRun) {
        keep.push(message);
        continue;
      }
      const response = await lambda.send(new InvokeCommand({ FunctionName: queue.functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(message.raw.Body ?? '{}') }));
      if (response.FunctionError) {
        result.failed++;
        keep.push(message);
        continue;
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.receiptHandle }));
      result.moved++;
    }
  } finally {
    await release(sqs, queue.url, keep);
  }
  return result;
}

/** Redrives one DLQ the way its kind needs, and writes the audit record (dry runs too: someone looked). */
export async function redrive(deployment: Deployment, queue: DeadLetterQueueInfo, options: RedriveOptions): Promise<RedriveOutcome> {
  const startedAt = new Date().toISOString();
  let result: Omit<RedriveOutcome, 'queue' | 'region' | 'kind' | 'auditRecord'>;
  if (queue.kind === 'outbox') {
    result = await redriveOutbox(deployment, queue, options);
  } else if (queue.kind === 'scheduled') {
    result = await redriveScheduled(deployment, queue, options);
  } else {
    if (!queue.sourceQueueUrl) throw new Error(`no source queue found for ${queue.name}`);
    result = await redriveQueue(new SQSClient(deployment.target.aws(queue.region)), queue.url, queue.sourceQueueUrl, options);
  }
  const auditRecord = await writeAuditRecord(deployment, {
    action: 'dlq-redrive',
    actor: actorOf(options.actor),
    subject: queue.name,
    region: queue.region,
    target: deployment.target.name,
    dryRun: options.dryRun,
    count: options.dryRun ? result.matched : result.moved,
    startedAt,
    finishedAt: new Date().toISOString(),
    details: { kind: queue.kind, ...result, filter: options.filter, ratePerSecond: options.ratePerSecond },
  });
  return { queue: queue.name, region: queue.region, kind: queue.kind, ...result, auditRecord };
}

/** `dlq redrive SELECTOR`: each DLQ in turn, with the same options; the chaos step `redrive-dead-letters` runs this too. */
export async function redriveEach(deployment: Deployment, queues: DeadLetterQueueInfo[], options: RedriveOptions): Promise<RedriveOutcome[]> {
  const outcomes: RedriveOutcome[] = [];
  for (const queue of queues) outcomes.push(await redrive(deployment, queue, options));
  return outcomes;
}

/** Visible + in-flight messages of a queue. */
export async function depthOf(deployment: Deployment, queue: Pick<DeadLetterQueueInfo, 'region' | 'url'>): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await new SQSClient(deployment.target.aws(queue.region)).send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) };
}
