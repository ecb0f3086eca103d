import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Deployment } from './deployment';

export interface QueueDepth {
  region: string;
  /** Construct path of the queue in its stack, e.g. `InventoryConsumerDeadLetters`. */
  name: string;
  url: string;
  isDeadLetterQueue: boolean;
  visible: number;
  inFlight: number;
  /** Seconds; undefined where the target cannot tell (see `ageSource`). */
  oldestAgeSeconds: number | undefined;
  ageSource: 'cloudwatch' | 'peek' | 'unavailable';
}

const queueName = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '').replace(/Queue$/, '');

/**
 * Oldest message age. AWS: the CloudWatch metric. Emulators have no SQS
 * metrics, so a DLQ is peeked (receive with visibility 0: a DLQ has no
 * redrive policy, so a receive changes nothing that matters); a working queue
 * is not peeked, since a receive there counts towards its maxReceiveCount.
 */
async function oldestAge(deployment: Deployment, region: string, url: string, isDeadLetterQueue: boolean): Promise<Pick<QueueDepth, 'oldestAgeSeconds' | 'ageSource'>> {
  const config = deployment.target.aws(region);
  if (deployment.target.name === 'aws') {
    const cloudWatch = new CloudWatchClient(config);
    const now = Date.now();
    const { Datapoints } = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: url.split('/').pop()! }],
        StartTime: new Date(now - 10 * 60_000),
        EndTime: new Date(now),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    const latest = Datapoints?.sort((a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0))[0];
    return { oldestAgeSeconds: latest?.Maximum, ageSource: 'cloudwatch' };
  }
  if (!isDeadLetterQueue) return { oldestAgeSeconds: undefined, ageSource: 'unavailable' };
  const sqs = new SQSClient(config);
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageSystemAttributeNames: ['SentTimestamp'] }));
  const oldest = Math.min(...(Messages ?? []).map((message) => Number(message.Attributes?.SentTimestamp ?? Date.now())));
  return { oldestAgeSeconds: Messages?.length ? Math.round((Date.now() - oldest) / 1000) : undefined, ageSource: 'peek' };
}

/** Depth of every queue and DLQ of every region of the deployment. */
export async function queueDepths(deployment: Deployment): Promise<QueueDepth[]> {
  const queues = deployment.regions.flatMap((region) =>
    region.resources.filter((resource) => resource.type === 'AWS::SQS::Queue').map((resource) => ({ region: region.region, ...resource })),
  );
  return Promise.all(
    queues.map(async ({ region, logicalId, physicalId: url }) => {
      const sqs = new SQSClient(deployment.target.aws(region));
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      const isDeadLetterQueue = logicalId.includes('DeadLetters');
      return {
        region,
        name: queueName(logicalId),
        url,
        isDeadLetterQueue,
        visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        ...(await oldestAge(deployment, region, url, isDeadLetterQueue)),
      };
    }),
  );
}
