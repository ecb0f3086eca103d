import { CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * A stack output whose key is exactly `name`, not a path-derived hash: the
 * operator CLI, the demo and the e2e suite look outputs up by these names.
 */
export function stackOutput(scope: Construct, name: string, value: string): CfnOutput {
  const output = new CfnOutput(scope, name, { value });
  output.overrideLogicalId(name);
  return output;
}
