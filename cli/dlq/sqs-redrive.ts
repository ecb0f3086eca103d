import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { classify, matches, redriveAttributes, type DeadLetteredMessage, type MessageFilter } from './messages';

/** Long enough for one pass over a DLQ of thousands: a message read once is not read again in the same run. */
const passVisibilitySeconds = 300;

export interface QueueRedriveOptions {
  filter: MessageFilter;
  dryRun: boolean;
  /** Messages per second at most (the consumer behind the queue must keep up). @default no limit */
  ratePerSecond?: number;
  /** Stop after this many moved. @default all */
  limit?: number;
  /** How long a read message stays invisible while the run handles it; also how long a crashed run's messages stay hidden. @default 300 */
  visibilitySeconds?: number;
  /** Test hook: runs after a batch was sent, before its originals are deleted (a crash here must lose nothing). */
  afterSend?: (sent: DeadLetteredMessage[]) => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
}

export interface QueueRedriveResult {
  method: 'message-move-task' | 'receive-send-delete';
  /** Messages that matched the filter (moved, or that would move in a dry run). */
  matched: number;
  moved: number;
  /** Read but left in the DLQ (did not match). */
  skipped: number;
  failed: number;
  /** Per event type, what matched. */
  eventTypes: Record<string, number>;
  moveTaskHandle?: string;
}

/** Reads every message of a queue once (each stays invisible for the pass), classified. */
export async function readAll(sqs: SQSClient, queueUrl: string, visibilitySeconds = passVisibilitySeconds, max = Infinity): Promise<DeadLetteredMessage[]> {
  const read: DeadLetteredMessage[] = [];
  while (read.length < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    read.push(...Messages.map(classify));
  }
  return read;
}

/** Makes messages read in this run visible again at once (what did not move must stay where an operator sees it). */
export async function release(sqs: SQSClient, queueUrl: string, messages: DeadLetteredMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/**
 * SQS's own redrive, where it exists and fits: AWS, no filter, the whole DLQ.
 * It keeps attributes and body as they are. Returns undefined where the
 * target has no StartMessageMoveTask (ministack), so the caller falls back.
 */
async function tryMoveTask(sqs: SQSClient, dlqUrl: string, targetUrl: string, ratePerSecond: number | undefined): Promise<{ handle: string; count: number } | undefined> {
  const arnOf = async (url: string) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }))).Attributes ?? {};
  const source = await arnOf(dlqUrl);
  const target = await arnOf(targetUrl);
  try {
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: source.QueueArn,
        DestinationArn: target.QueueArn,
        ...(ratePerSecond ? { MaxNumberOfMessagesPerSecond: Math.max(1, Math.min(500, Math.floor(ratePerSecond))) } : {}),
      }),
    );
    return { handle: TaskHandle ?? '', count: Number(source.ApproximateNumberOfMessages ?? 0) };
  } catch (error) {
    const { name, message } = error as Error;
    if (/UnknownOperation|InvalidAction|not.?(implemented|supported)|UnsupportedOperation/i.test(`${name} ${message}`)) return undefined;
    throw error;
  }
}

/** The state of the move tasks of a DLQ (AWS): for `dlq list` and to wait for a task to finish. */
export async function moveTasks(sqs: SQSClient, dlqUrl: string): Promise<{ status: string; moved: number; toMove: number }[]> {
  const { QueueArn } = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes ?? {};
  const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: QueueArn, MaxResults: 10 }));
  return Results.map((task) => ({ status: task.Status ?? '', moved: task.ApproximateNumberOfMessagesMoved ?? 0, toMove: task.ApproximateNumberOfMessagesToMove ?? 0 }));
}

/**
 * Moves a DLQ's messages back to the queue they came from. With no filter and
 * no limit it asks SQS (StartMessageMoveTask); otherwise, or where that is
 * missing, it runs a loop that loses nothing: each batch is sent to the target
 * first and its originals are deleted only for the entries whose send
 * succeeded. A crash between the two leaves a copy in each queue: the consumer
 * is idempotent on the envelope's eventId, so the duplicate is absorbed.
 * Messages that do not match stay in the DLQ, visible again at the end.
 */
export async function redriveQueue(sqs: SQSClient, dlqUrl: string, targetUrl: string, options: QueueRedriveOptions): Promise<QueueRedriveResult> {
  const wait = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const whole = Object.values(options.filter).every((value) => value === undefined) && options.limit === undefined;
  if (whole && !options.dryRun && !options.afterSend) {
    const task = await tryMoveTask(sqs, dlqUrl, targetUrl, options.ratePerSecond);
    if (task) {
      // The task runs in SQS; wait for it, so the count reported (and audited) is what moved.
      let latest = { status: 'RUNNING', moved: 0 };
      for (let polls = 0; polls < 600 && latest.status === 'RUNNING'; polls++) {
        await wait(1000);
        latest = (await moveTasks(sqs, dlqUrl))[0] ?? { status: 'COMPLETED', moved: task.count };
      }
      return { method: 'message-move-task', matched: task.count, moved: latest.moved, skipped: 0, failed: latest.status === 'COMPLETED' ? 0 : task.count - latest.moved, eventTypes: {}, moveTaskHandle: task.handle };
    }
  }

  const result: QueueRedriveResult = { method: 'receive-send-delete', matched: 0, moved: 0, skipped: 0, failed: 0, eventTypes: {} };
  const leftInPlace: DeadLetteredMessage[] = [];
  const limit = options.limit ?? Infinity;
  try {
    while (result.matched < limit) {
      const started = Date.now();
      const batch = await readAll(sqs, dlqUrl, options.visibilitySeconds ?? passVisibilitySeconds, 1);
      if (batch.length === 0) break;
      const selected: DeadLetteredMessage[] = [];
      for (const message of batch) {
        if (matches(message, options.filter) && result.matched + selected.length < limit) selected.push(message);
        else leftInPlace.push(message);
      }
      result.skipped = leftInPlace.length;
      result.matched += selected.length;
      for (const message of selected) {
        const type = message.event?.type ?? 'unknown';
        result.eventTypes[type] = (result.eventTypes[type] ?? 0) + 1;
      }
      if (options.dryRun) {
        leftInPlace.push(...selected);
        continue;
      }
      if (selected.length === 0) continue;

      const { Successful = [], Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: targetUrl,
          Entries: selected.map((message, index) => {
            const attributes = redriveAttributes(message.raw);
            return { Id: String(index), MessageBody: message.raw.Body ?? '', ...(attributes ? { MessageAttributes: attributes } : {}) };
          }),
        }),
      );
      const sent = Successful.map((entry) => selected[Number(entry.Id)]!);
      result.failed += Failed.length;
      // A message whose copy was not sent stays in the DLQ, visible again at the end.
      leftInPlace.push(...Failed.map((entry) => selected[Number(entry.Id)]!));
      await options.afterSend?.(sent);
      if (sent.length > 0) {
        const deleted = await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: sent.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle })) }),
        );
        result.moved += deleted.Successful?.length ?? 0;
      }
      if (options.ratePerSecond) {
        const minimumMs = (selected.length / options.ratePerSecond) * 1000;
        const elapsed = Date.now() - started;
        if (elapsed < minimumMs) await wait(minimumMs - elapsed);
      }
    }
  } finally {
    await release(sqs, dlqUrl, leftInPlace);
  }
  return result;
}
