import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AlarmRule, AlarmState, CompositeAlarm, type IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnExperimentTemplate } from 'aws-cdk-lib/aws-fis';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { DuckStoreFunction } from './duckstore-function';
import { acknowledgeWildcardResource } from './nag';
import { runbooks, runbookSentence } from './operations-runbooks';

/**
 * The public SSM parameter holding the AWS FIS Lambda extension layer (arm64)
 * of the region it is read in: AWS publishes the layer from a different
 * account, at a different version, in each region (FIS user guide,
 * "Available versions of the AWS FIS extension for Lambda").
 */
export const fisExtensionLayerParameter = '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x';

/** The FIS configuration bucket of a region: a fixed name, so an operator finds it without the stack. */
export const fisConfigBucketName = (): string => `duckstore-fis-config-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
const fisConfigPrefix = 'FisConfigs/';

export interface FaultInjectionExperimentsProps {
  /** The functions FIS may fault, by the name the templates use (`orders-consumer`, `payment-provider`). */
  readonly targets: Record<string, DuckStoreFunction>;
  /** Any of these in ALARM stops every experiment: the region's DLQ alarms and its invariant alarm. */
  readonly stopAlarms: IAlarm[];
  /** How long an experiment runs unless its stop condition ends it first. @default 10 minutes */
  readonly duration?: Duration;
}

interface Scenario {
  id: string;
  description: string;
  targets: string[];
  actionId: 'aws:lambda:invocation-add-delay' | 'aws:lambda:invocation-error' | 'aws:lambda:invocation-http-integration-response';
  parameters: Record<string, string>;
}

/**
 * AWS FIS for DuckStore (AWS only: no emulator runs FIS), inside the region
 * stack it faults: the same fault scenarios as `duckstore faults`
 * (docs/faults.md), as experiment templates that use FIS's native Lambda
 * fault actions, each stopped at once by one composite alarm over the
 * region's DLQ and invariant alarms. Part of the region stack rather than a
 * stack of its own, so that turning `duckstore:fis` off deletes it in the
 * same update, with no cross-stack export left in use to block it.
 */
export class FaultInjectionExperiments extends Construct {
  readonly bucket: Bucket;
  readonly role: Role;
  /** The one stop condition of every template (a composite alarm counts as one). */
  readonly stopCondition: CompositeAlarm;
  readonly templates: Record<string, CfnExperimentTemplate> = {};

  constructor(scope: Construct, id: string, props: FaultInjectionExperimentsProps) {
    super(scope, id);
    const { targets } = props;
    const duration = `PT${(props.duration ?? Duration.minutes(10)).toMinutes()}M`;

    this.bucket = new Bucket(this, 'Config', {
      bucketName: fisConfigBucketName(),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only the short-lived configuration FIS writes for its Lambda extension during an experiment; FIS experiments are themselves logged by CloudTrail.',
    });
    // As its fixed name gives it, so the functions' and the role's wildcard is one text for cdk-nag.
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${fisConfigBucketName()}`;
    const configObjects = `${bucketArn}/${fisConfigPrefix}*`;

    // Resolved by CloudFormation in the region it deploys to: each region gets its own layer.
    const layerArn = StringParameter.valueForStringParameter(this, fisExtensionLayerParameter);
    for (const fn of Object.values(targets)) {
      fn.addLayers(LayerVersion.fromLayerVersionArn(fn, 'FisExtension', layerArn));
      fn.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', '/opt/aws-fis/bootstrap');
      fn.addEnvironment('AWS_FIS_CONFIGURATION_LOCATION', `${bucketArn}/${fisConfigPrefix}`);
      fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }));
      fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [configObjects] }));
      acknowledgeWildcardResource(fn.role!, configObjects, 'The FIS extension reads whatever configuration object FIS writes under the FisConfigs/ prefix of the fault-injection bucket; their names are chosen by FIS per experiment.');
    }

    this.role = new Role(this, 'ExperimentRole', { assumedBy: new ServicePrincipal('fis.amazonaws.com'), description: 'Runs DuckStore fault injection experiments' });
    this.role.addToPolicy(new PolicyStatement({ actions: ['lambda:GetFunction'], resources: Object.values(targets).map((fn) => fn.functionArn) }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [configObjects] }));
    acknowledgeWildcardResource(this.role, configObjects, 'FIS writes and deletes configuration objects of its own naming under FisConfigs/ in the fault-injection bucket (the grant is limited to that prefix).');

    // One composite alarm, not one stop condition per alarm: a region has more DLQs than FIS allows stop conditions.
    this.stopCondition = new CompositeAlarm(this, 'StopCondition', {
      alarmRule: AlarmRule.anyOf(...props.stopAlarms.map((alarm) => AlarmRule.fromAlarm(alarm, AlarmState.ALARM))),
      alarmDescription:
        `Stops every DuckStore FIS experiment in ${Stack.of(this).region}: a DLQ holds a message or an invariant is broken. ` +
        `No action of its own: each alarm it watches notifies the operations topic. ${runbookSentence(runbooks.consumerDeadLetters)}`,
    });
    const stopConditions = [{ source: 'aws:cloudwatch:alarm', value: this.stopCondition.alarmArn }];

    const consumers = Object.keys(targets).filter((name) => name.endsWith('-consumer'));
    const scenarios: Scenario[] = [
      ...consumers.map((name) => ({
        id: `${name}-crash-after-commit`,
        description: `${name}: half the invocations run, then fail (state committed, message not acknowledged); duckstore faults function ${name.replace('-consumer', '')} throw-after-commit`,
        targets: [name],
        actionId: 'aws:lambda:invocation-error' as const,
        parameters: { duration, invocationPercentage: '50', preventExecution: 'false' },
      })),
      ...consumers.map((name) => ({
        id: `${name}-crash-before-commit`,
        description: `${name}: half the invocations fail without running; duckstore faults function ${name.replace('-consumer', '')} throw-before-commit`,
        targets: [name],
        actionId: 'aws:lambda:invocation-error' as const,
        parameters: { duration, invocationPercentage: '50', preventExecution: 'true' },
      })),
      ...consumers.map((name) => ({
        id: `${name}-delay`,
        description: `${name}: every invocation starts 3 s late; duckstore faults function ${name.replace('-consumer', '')} delay --delay-ms 3000`,
        targets: [name],
        actionId: 'aws:lambda:invocation-add-delay' as const,
        parameters: { duration, invocationPercentage: '100', startupDelayMilliseconds: '3000' },
      })),
    ];
    if (targets['payment-provider']) {
      scenarios.push(
        {
          id: 'provider-outage',
          description: 'the payment provider answers 503 to every call without running; duckstore faults provider --outage',
          targets: ['payment-provider'],
          actionId: 'aws:lambda:invocation-http-integration-response',
          parameters: { duration, invocationPercentage: '100', statusCode: '503', contentTypeHeader: 'application/problem+json', preventExecution: 'true' },
        },
        {
          id: 'provider-errors',
          description: 'the payment provider answers 500 to a fifth of the calls without running; duckstore faults provider --error-rate 0.2',
          targets: ['payment-provider'],
          actionId: 'aws:lambda:invocation-http-integration-response',
          parameters: { duration, invocationPercentage: '20', statusCode: '500', contentTypeHeader: 'application/problem+json', preventExecution: 'true' },
        },
        {
          id: 'provider-latency',
          description: 'the payment provider answers 3 s late; duckstore faults provider --latency-ms 3000',
          targets: ['payment-provider'],
          actionId: 'aws:lambda:invocation-add-delay',
          parameters: { duration, invocationPercentage: '100', startupDelayMilliseconds: '3000' },
        },
      );
    }

    for (const scenario of scenarios) {
      this.templates[scenario.id] = new CfnExperimentTemplate(this, `Experiment-${scenario.id}`, {
        description: scenario.description.slice(0, 512),
        roleArn: this.role.roleArn,
        stopConditions,
        targets: {
          Functions: { resourceType: 'aws:lambda:function', resourceArns: scenario.targets.map((name) => targets[name]!.functionArn), selectionMode: 'ALL' },
        },
        actions: { Inject: { actionId: scenario.actionId, parameters: scenario.parameters, targets: { Functions: 'Functions' } } },
        tags: { Name: `duckstore-${scenario.id}` },
      });
    }
  }
}
