import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** An ARN as cdk-nag names it in a finding: pseudo parameters as `<AWS::AccountId>`, literals as they are. */
function nagText(stack: Stack, arn: string): string {
  const resolved: unknown = stack.resolve(arn);
  if (typeof resolved === 'string') return resolved;
  const parts = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join('');
}

/** Acknowledges AwsSolutions-IAM5 for one wildcard resource ARN granted to `role`, with the reason the wildcard is needed. */
export function acknowledgeWildcardResource(role: IConstruct, arn: string, reason: string): void {
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagText(Stack.of(role), arn)}]`, reason });
}
