import { Aws, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnExperimentTemplate } from 'aws-cdk-lib/aws-fis';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';
import { DuckStoreFunction } from '../constructs/duckstore-function';
import type { RegionStack } from './region-stack';

/**
 * AWS FIS for DuckStore (AWS only: no emulator runs FIS): the same fault
 * scenarios as `duckstore faults` (docs/faults.md), as experiment templates
 * that use FIS's native Lambda fault actions, each stopped at once by the
 * region's DLQ and invariant alarms. Synthesized only with
 * `-c duckstore:fis=true`; `prepareFunctionsForFis` gives the targeted
 * functions the FIS extension layer and the location of its configuration.
 */

/** The FIS configuration bucket of a region. A fixed name, so the functions can be pointed at it without a reference to this stack (which references them). */
export const fisConfigBucketName = (): string => `duckstore-fis-config-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
const fisConfigPrefix = 'FisConfigs/';

/** The consumer functions of a region stack by context, and the provider simulator's. */
function targetFunctions(region: RegionStack): Record<string, DuckStoreFunction> {
  const found: Record<string, DuckStoreFunction> = {};
  for (const [name, service] of Object.entries({ orders: region.orders, inventory: region.inventory, payments: region.payments, notifications: region.notifications })) {
    const consumer = service?.node.tryFindChild('Consumer')?.node.tryFindChild('Function');
    if (consumer instanceof DuckStoreFunction) found[`${name}-consumer`] = consumer;
  }
  if (region.providerSimulator) found['payment-provider'] = region.providerSimulator.function;
  return found;
}

export interface FisPreparation {
  /** The AWS FIS Lambda extension layer (arm64) of the region: see "AWS FIS Lambda extension" in the FIS user guide. */
  readonly extensionLayerArn: string;
}

/** Gives the functions FIS may fault the extension layer, its wrapper and read access to the region's configuration bucket. */
export function prepareFunctionsForFis(region: RegionStack, preparation: FisPreparation): void {
  const bucketArn = `arn:${Aws.PARTITION}:s3:::${fisConfigBucketName()}`;
  for (const fn of Object.values(targetFunctions(region))) {
    fn.addLayers(LayerVersion.fromLayerVersionArn(fn, 'FisExtension', preparation.extensionLayerArn));
    fn.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', '/opt/aws-fis/bootstrap');
    fn.addEnvironment('AWS_FIS_CONFIGURATION_LOCATION', `${bucketArn}/${fisConfigPrefix}`);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }));
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [`${bucketArn}/${fisConfigPrefix}*`] }));
    Validations.of(fn.role!).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::duckstore-fis-config-<AWS::AccountId>-<AWS::Region>/FisConfigs/*]',
      reason: 'The FIS extension reads whatever configuration object FIS writes under the FisConfigs/ prefix of the fault-injection bucket; their names are chosen by FIS per experiment.',
    });
  }
}

export interface FaultInjectionStackProps extends StackProps {
  readonly region: RegionStack;
  /** How long an experiment runs unless a stop condition ends it first. @default 10 minutes */
  readonly duration?: Duration;
}

interface Scenario {
  id: string;
  description: string;
  targets: string[];
  actionId: 'aws:lambda:invocation-add-delay' | 'aws:lambda:invocation-error' | 'aws:lambda:invocation-http-integration-response';
  parameters: Record<string, string>;
}

export class FaultInjectionStack extends Stack {
  readonly bucket: Bucket;
  readonly role: Role;
  readonly templates: Record<string, CfnExperimentTemplate> = {};

  constructor(scope: Construct, id: string, props: FaultInjectionStackProps) {
    super(scope, id, props);
    const { region } = props;
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

    const functions = targetFunctions(region);
    this.role = new Role(this, 'ExperimentRole', { assumedBy: new ServicePrincipal('fis.amazonaws.com'), description: 'Runs DuckStore fault injection experiments' });
    this.role.addToPolicy(new PolicyStatement({ actions: ['lambda:GetFunction'], resources: Object.values(functions).map((fn) => fn.functionArn) }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [this.bucket.arnForObjects(`${fisConfigPrefix}*`)] }));
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<Config57D1D894.Arn>/FisConfigs/*]',
      reason: 'FIS writes and deletes configuration objects of its own naming under FisConfigs/ in the fault-injection bucket (the grant is limited to that prefix).',
    });

    // Any DLQ holding a message, or any invariant broken, ends every experiment at once.
    const stopAlarms: Alarm[] = [
      ...region.node.findAll().filter((node): node is DeadLetterQueue => node instanceof DeadLetterQueue).map((dlq) => dlq.alarm),
      region.auditor.alarm,
    ];
    const stopConditions = stopAlarms.map((alarm) => ({ source: 'aws:cloudwatch:alarm', value: alarm.alarmArn }));

    const consumers = Object.keys(functions).filter((name) => name.endsWith('-consumer'));
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
    if (functions['payment-provider']) {
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
          Functions: { resourceType: 'aws:lambda:function', resourceArns: scenario.targets.map((name) => functions[name]!.functionArn), selectionMode: 'ALL' },
        },
        actions: { Inject: { actionId: scenario.actionId, parameters: scenario.parameters, targets: { Functions: 'Functions' } } },
        tags: { Name: `duckstore-${scenario.id}` },
      });
    }
  }
}
