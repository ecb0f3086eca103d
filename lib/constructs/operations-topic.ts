import { Stack } from 'aws-cdk-lib';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The SNS topic every alarm of a stack notifies (subscribe on-call tooling to
 * it). One per stack, found with `OperationsTopic.of(scope)`, so a building
 * block can alarm without the topic being passed through every construct.
 */
export class OperationsTopic extends Construct {
  static of(scope: Construct): ITopic {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild('OperationsTopic') as OperationsTopic | undefined;
    return (existing ?? new OperationsTopic(stack, 'OperationsTopic')).topic;
  }

  readonly topic: Topic;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'DuckStore alarms',
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
  }
}
