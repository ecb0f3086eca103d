import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The service that publishes alarm notifications. */
const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');

/**
 * The SNS topic every alarm of a stack notifies (subscribe on-call tooling to
 * it). One per stack, found with `OperationsTopic.of(scope)`, so a building
 * block can alarm without the topic being passed through every construct.
 *
 * Encrypted with a customer managed key whose policy lets CloudWatch use it,
 * and with a topic policy that lets CloudWatch publish: CloudWatch cannot use
 * the AWS-managed `alias/aws/sns` key (whose policy cannot be changed), and
 * the `enforceSSL` policy alone allows nobody, so without both no alarm
 * would ever notify (SNS developer guide, "Key management").
 */
export class OperationsTopic extends Construct {
  static of(scope: Construct): ITopic {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild('OperationsTopic') as OperationsTopic | undefined;
    return (existing ?? new OperationsTopic(stack, 'OperationsTopic')).topic;
  }

  readonly topic: Topic;
  readonly key: Key;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the DuckStore alarm topic; CloudWatch uses it to publish alarm notifications',
      enableKeyRotation: true,
      // It encrypts nothing but this topic's messages in flight: it goes with the topic.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(new PolicyStatement({ principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }));
    this.topic = new Topic(this, 'Topic', { displayName: 'DuckStore alarms', enforceSSL: true, masterKey: this.key });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        // Only alarms of this account (confused-deputy protection).
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
  }
}
