import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a handler under `functions/`. */
export const functionEntry = (relativePath: string): string => fileURLToPath(new URL(`../../functions/${relativePath}`, import.meta.url));

export interface DuckStoreFunctionProps extends Omit<NodejsFunctionProps, 'entry'> {
  /** Handler file, relative to `functions/`. */
  readonly entry: string;
  /** Powertools service name: the bounded context or platform component. */
  readonly serviceName: string;
}

/**
 * A Node.js function with DuckStore's defaults: Node 22 on arm64, X-Ray active,
 * esbuild-bundled locally with the AWS SDK inside the bundle (no Docker; faster
 * cold starts than the runtime's SDK, and emulators that provide no SDK can
 * run it), minified, Powertools configured by environment, logs kept a month.
 * Caller props are spread last, and the caller's environment is merged over ours.
 * The role starts empty (no AWSLambdaBasicExecutionRole, whose logs:* reach
 * every log group) and may write only to the function's own log group.
 */
export class DuckStoreFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: DuckStoreFunctionProps) {
    const { entry, serviceName, environment, bundling, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      bundling: {
        minify: true,
        target: 'node22',
        format: OutputFormat.CJS,
        // Bundle everything, the AWS SDK included.
        externalModules: [],
        mainFields: ['module', 'main'],
        ...bundling,
      },
      ...rest,
      entry: functionEntry(entry),
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: 'DuckStore',
        ...environment,
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime DuckStore targets and tests (AWS SDK v3 requires Node >= 22 from 2027); moving to 24 is a deliberate upgrade, not a default.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords and dynamodb:ListStreams (stream mappings) accept no resource ARN; the infra tests assert that every Resource::* statement holds only those actions.',
    });
  }
}
