import { Duration, Stack } from 'aws-cdk-lib';
import { Archive, Match, type IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnDocument } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { acknowledgeWildcardResource } from './nag';

/** The archive's name, the same in every region (one bus per region): `duckstore replay` finds it by name. */
export const eventArchiveName = 'duckstore-events';

/** Days an event stays replayable. */
export const eventArchiveRetentionDays = 30;

export interface OperationsAutomationProps {
  readonly bus: IEventBus;
  readonly auditor: IFunction;
}

/**
 * What operators run from the AWS console (AWS only: ministack cannot deploy
 * AWS::SSM::Document or AWS::Events::Archive, so the local deploy turns this
 * off with `duckstore:awsOnlyResources=false`, and creates the archive through
 * the API instead, local/deploy.ts):
 * - the bus's event archive, for `duckstore replay`;
 * - SSM Automation documents backing the runbooks: redrive an SQS DLQ
 *   (StartMessageMoveTask), replay an archive window, run the invariant
 *   auditor. The outbox re-publish and the filtered loop need the CLI
 *   (`duckstore dlq redrive`), which the runbooks give.
 */
export class OperationsAutomation extends Construct {
  readonly archive: Archive;
  readonly documents: CfnDocument[] = [];
  readonly role: Role;

  constructor(scope: Construct, id: string, props: OperationsAutomationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.archive = new Archive(this, 'Archive', {
      sourceEventBus: props.bus,
      archiveName: eventArchiveName,
      description: 'Every DuckStore domain event of this region, for `duckstore replay` (runbooks/).',
      eventPattern: { source: Match.prefix('duckstore.') },
      retention: Duration.days(eventArchiveRetentionDays),
    });

    this.role = new Role(this, 'AutomationRole', { assumedBy: new ServicePrincipal('ssm.amazonaws.com'), description: 'Runs the DuckStore runbook automations' });
    const deadLetterQueues = stack.node.findAll().filter((candidate): candidate is DeadLetterQueue => candidate instanceof DeadLetterQueue);
    for (const dlq of deadLetterQueues) {
      dlq.queue.grant(this.role, 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes');
    }
    // The move task sends to the destination the operator names: any queue of this stack.
    const anyQueue = stack.formatArn({ service: 'sqs', resource: '*' });
    const anyReplay = stack.formatArn({ service: 'events', resource: 'replay', resourceName: '*' });
    this.role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [anyQueue] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['events:StartReplay', 'events:DescribeReplay'], resources: [this.archive.archiveArn, anyReplay] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [props.bus.eventBusArn] }));
    // The function itself, not grantInvoke's `:*` (any version): the document invokes $LATEST.
    this.role.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.auditor.functionArn] }));
    acknowledgeWildcardResource(this.role, anyQueue, 'A move task sends to whichever queue of this account and region the operator names as the destination when the automation runs.');
    acknowledgeWildcardResource(this.role, anyReplay, 'A replay is named when the automation runs.');

    const role = this.role.roleArn;
    const document = (documentId: string, name: string, content: Record<string, unknown>) => {
      const created = new CfnDocument(this, documentId, { name: `DuckStore-${name}-${stack.region}`, documentType: 'Automation', documentFormat: 'JSON', updateMethod: 'NewVersion', content });
      this.documents.push(created);
    };
    document('RedriveDeadLetterQueue', 'RedriveDeadLetterQueue', {
      schemaVersion: '0.3',
      description:
        'Moves every message of a DLQ to the queue its consumer reads (runbooks/consumer-dead-letters.md). The destination is always given: without it SQS sends each message back to the queue it was dead-lettered from, and a message EventBridge or the consumer itself put into the DLQ has none (docs/operations.md). Filtered redrives and the outbox: `duckstore dlq redrive`.',
      assumeRole: role,
      parameters: {
        DeadLetterQueueArn: { type: 'String', description: 'ARN of the DLQ (see the dashboard or `duckstore dlq list`)' },
        DestinationQueueArn: { type: 'String', description: 'ARN of the queue the DLQ belongs to: the consumer (or forwarding) queue whose URL `duckstore dlq list --json` gives as sourceQueueUrl' },
        MaxPerSecond: { type: 'Integer', default: 50, description: 'Rate limit (the consumer must keep up)' },
      },
      mainSteps: [
        { name: 'StartMove', action: 'aws:executeAwsApi', inputs: { Service: 'sqs', Api: 'StartMessageMoveTask', SourceArn: '{{ DeadLetterQueueArn }}', DestinationArn: '{{ DestinationQueueArn }}', MaxNumberOfMessagesPerSecond: '{{ MaxPerSecond }}' }, outputs: [{ Name: 'TaskHandle', Selector: '$.TaskHandle', Type: 'String' }] },
        { name: 'WaitUntilEmpty', action: 'aws:waitForAwsResourceProperty', timeoutSeconds: 3600, inputs: { Service: 'sqs', Api: 'ListMessageMoveTasks', SourceArn: '{{ DeadLetterQueueArn }}', PropertySelector: '$.Results[0].Status', DesiredValues: ['COMPLETED'] } },
      ],
    });
    document('ReplayEvents', 'ReplayEvents', {
      schemaVersion: '0.3',
      description: `Replays a window of this region's event archive ${eventArchiveName} onto its bus (consumers are idempotent on eventId). runbooks/consumer-dead-letters.md`,
      assumeRole: role,
      parameters: {
        From: { type: 'String', description: 'ISO 8601 start of the window' },
        To: { type: 'String', description: 'ISO 8601 end of the window' },
        ReplayName: { type: 'String', description: 'A unique name for the replay' },
      },
      mainSteps: [
        { name: 'StartReplay', action: 'aws:executeAwsApi', inputs: { Service: 'events', Api: 'StartReplay', ReplayName: '{{ ReplayName }}', EventSourceArn: this.archive.archiveArn, EventStartTime: '{{ From }}', EventEndTime: '{{ To }}', Destination: { Arn: props.bus.eventBusArn } } },
        { name: 'WaitForReplay', action: 'aws:waitForAwsResourceProperty', timeoutSeconds: 3600, inputs: { Service: 'events', Api: 'DescribeReplay', ReplayName: '{{ ReplayName }}', PropertySelector: '$.State', DesiredValues: ['COMPLETED'] } },
      ],
    });
    document('RunInvariantAudit', 'RunInvariantAudit', {
      schemaVersion: '0.3',
      description: 'Runs the invariant auditor now: the verify step of every runbook (runbooks/invariant-violations.md).',
      assumeRole: role,
      mainSteps: [{ name: 'Audit', action: 'aws:invokeLambdaFunction', inputs: { FunctionName: props.auditor.functionName, InvocationType: 'RequestResponse' } }],
    });
  }
}
