import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { runbookOfDeadLetterQueue, runbookSentence } from './operations-runbooks';
import { OperationsTopic } from './operations-topic';

export interface DeadLetterQueueProps {
  /** What lands here and which runbook recovers it; goes into the alarm description. */
  readonly purpose: string;
}

/** Longest SQS retention: an incident may take days to work through; a DLQ must not expire its evidence. */
export const maxRetention = Duration.days(14);

/**
 * A DLQ with an alarm on ApproximateNumberOfMessagesVisible ≥ 1. The metric is
 * the one that counts messages moved in by a redrive policy, which
 * NumberOfMessagesSent does not.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: Queue;
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      retentionPeriod: maxRetention,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue; it is alarmed and drained by redrive.' });
    this.alarm = new Alarm(this, 'NotEmpty', {
      alarmDescription: `${props.purpose} Messages here need an operator: inspect and redrive. ${runbookSentence(runbookOfDeadLetterQueue(this))}`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new SnsAction(OperationsTopic.of(this)));
  }
}
