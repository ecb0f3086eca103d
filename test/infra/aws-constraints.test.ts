import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeAssembly, type AssemblyTemplate, type CfnTemplate } from '../helpers/synth';

/**
 * What AWS would refuse (or accept and then never do) that cfn-lint cannot
 * see: quotas, cross-resource policies, settings that change between deploys,
 * lengths of names built from intrinsics. One assertion per rule, each naming
 * the AWS documentation or quota it encodes. The templates are the AWS
 * variant (cdk.json's context), synthesized without bundling: code changes
 * only asset hashes.
 */

type Resource = CfnTemplate['Resources'][string];
type Statement = { Effect: string; Principal?: { Service?: string | string[] }; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };

const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const resourcesOf = (template: CfnTemplate, type: string): [string, Resource][] => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const props = (resource: Resource): Record<string, unknown> => resource.Properties ?? {};
const refersTo = (value: unknown): string | undefined => {
  const intrinsic = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return intrinsic?.Ref ?? intrinsic?.['Fn::GetAtt']?.[0];
};

/** Physical name properties and their AWS length limits (each service's quotas or CloudFormation resource reference). */
const nameLimits: Record<string, [property: string, maximum: number]> = {
  'AWS::SQS::Queue': ['QueueName', 80],
  'AWS::Lambda::Function': ['FunctionName', 64],
  'AWS::IAM::Role': ['RoleName', 64],
  'AWS::IAM::Policy': ['PolicyName', 128],
  'AWS::DynamoDB::Table': ['TableName', 255],
  'AWS::Events::Rule': ['Name', 64],
  'AWS::Events::EventBus': ['Name', 256],
  'AWS::Events::Archive': ['ArchiveName', 48],
  'AWS::CloudWatch::Alarm': ['AlarmName', 255],
  'AWS::CloudWatch::CompositeAlarm': ['AlarmName', 255],
  'AWS::CloudWatch::Dashboard': ['DashboardName', 255],
  'AWS::SNS::Topic': ['TopicName', 256],
  'AWS::S3::Bucket': ['BucketName', 63],
  'AWS::Logs::LogGroup': ['LogGroupName', 512],
  'AWS::SSM::Document': ['Name', 128],
  'AWS::Scheduler::ScheduleGroup': ['Name', 64],
  'AWS::KMS::Alias': ['AliasName', 256],
};

/**
 * The longest a value can be once CloudFormation resolves it. A pseudo
 * parameter at its longest in any partition; a resource's name as given, or
 * as CloudFormation generates it (stack name, logical id and a 13-character
 * suffix, at most the type's limit); a queue URL or an ARN as that name behind
 * the longest prefix of its kind; anything else (a parameter, an import) 256
 * characters, longer than any ARN here.
 */
const referenceBound = 256;
const pseudoParameterBounds: Record<string, number> = { 'AWS::Region': 14, 'AWS::AccountId': 12, 'AWS::Partition': 10, 'AWS::URLSuffix': 16 };
/** `https://sqs.<region>.amazonaws.com.cn/<account>/` */
const queueUrlPrefix = 12 + 14 + 18 + 12 + 1;
/** `arn:<partition>:<service>:<region>:<account>:<resource type>/` at their longest; a stream ARN's `/stream/<timestamp>` fits in it too. */
const arnPrefix = 4 + 10 + 1 + 20 + 1 + 14 + 1 + 12 + 1 + 40;

function nameOf(template: CfnTemplate, stackName: string, logicalId: string): number {
  const resource = template.Resources[logicalId];
  if (!resource) return referenceBound;
  const [property, maximum] = nameLimits[resource.Type] ?? ['', 255];
  const given = props(resource)[property];
  return given === undefined ? Math.min(stackName.length + logicalId.length + 15, maximum) : longestString(given, template, stackName).length;
}

function referenceLength(reference: { Ref?: string; 'Fn::GetAtt'?: [string, string] }, template: CfnTemplate, stackName: string): number {
  if (reference.Ref === 'AWS::StackName') return stackName.length;
  if (reference.Ref && pseudoParameterBounds[reference.Ref]) return pseudoParameterBounds[reference.Ref]!;
  const logicalId = reference.Ref ?? reference['Fn::GetAtt']?.[0];
  const type = template.Resources[logicalId ?? '']?.Type;
  if (!logicalId || !type) return referenceBound;
  const name = nameOf(template, stackName, logicalId);
  if (reference['Fn::GetAtt']) return arnPrefix + name;
  if (type === 'AWS::SQS::Queue') return queueUrlPrefix + name;
  if (type === 'AWS::SNS::Topic') return arnPrefix + name;
  return name;
}

function longestString(value: unknown, template: CfnTemplate, stackName: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const intrinsic = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (intrinsic.Ref === 'AWS::StackName') return stackName;
  if (intrinsic['Fn::Join']) {
    const [separator, parts] = intrinsic['Fn::Join'];
    return parts.map((part) => longestString(part, template, stackName)).join(separator);
  }
  if (intrinsic.Ref || intrinsic['Fn::GetAtt']) return 'x'.repeat(referenceLength(intrinsic, template, stackName));
  return 'x'.repeat(referenceBound);
}

/** The value with every intrinsic replaced by its longest resolution, for measuring a document's size. */
function withLongestValues(value: unknown, template: CfnTemplate, stackName: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withLongestValues(item, template, stackName));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return longestString(value, template, stackName);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withLongestValues(item, template, stackName)]));
}

const fisLayerParameter = '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x';

/** Every setting that adds or removes resources, each away from its default. */
const settingVariants: Record<string, Record<string, unknown>> = {
  defaults: {},
  fis: { 'duckstore:fis': 'true' },
  faultInjection: { 'duckstore:faultInjection': 'true' },
  local: { 'duckstore:awsOnlyResources': 'false', 'duckstore:apiAuth': 'none' },
  reservedConcurrency: { 'duckstore:reservedConcurrency': 'true' },
  realProvider: { 'duckstore:providerUrl': 'https://payments.example.com', 'duckstore:providerSecretArn': 'arn:aws:secretsmanager:us-west-2:123456789012:secret:duckstore/provider-AbCdEf' },
};

/** Synthesized once per variant, when a test first needs it: one variant that fails to synthesize fails only the tests that use it. */
const synthesized = new Map<string, AssemblyTemplate[]>();
const variant = (name: keyof typeof settingVariants): AssemblyTemplate[] => {
  if (!synthesized.has(name)) synthesized.set(name, synthesizeAssembly(settingVariants[name]));
  return synthesized.get(name)!;
};

describe('AWS constraints cfn-lint does not check', () => {
  let aws: AssemblyTemplate[];
  beforeAll(() => {
    aws = variant('defaults');
  });

  it('FIS: at most 5 stop conditions per experiment template (AWS FIS quotas, "Stop conditions per experiment template", L-872EC72B, not adjustable)', () => {
    const templates = variant('fis').flatMap(({ template }) => resourcesOf(template, 'AWS::FIS::ExperimentTemplate'));
    expect(templates.length).toBeGreaterThan(0);
    for (const [id, template] of templates) {
      const stopConditions = props(template).StopConditions as { Source: string }[];
      expect(stopConditions.length, `${id} stop conditions`).toBeGreaterThanOrEqual(1);
      expect(stopConditions.length, `${id} stop conditions`).toBeLessThanOrEqual(5);
      expect(stopConditions.every((condition) => condition.Source === 'aws:cloudwatch:alarm'), id).toBe(true);
    }
  });

  it(`FIS: the Lambda extension layer is the region's own, read from the public SSM parameter ${fisLayerParameter} (FIS user guide, "Available versions of the AWS FIS extension for Lambda")`, () => {
    let layered = 0;
    for (const { stackName, template } of variant('fis')) {
      for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
        const variables = (props(fn).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        const layers = asList(props(fn).Layers);
        if (variables.AWS_LAMBDA_EXEC_WRAPPER === undefined && layers.length === 0) continue;
        layered += 1;
        expect(layers, `${stackName}/${id} has one layer`).toHaveLength(1);
        const parameter = template.Parameters?.[(layers[0] as { Ref?: string }).Ref ?? ''];
        expect(parameter, `${stackName}/${id} layer is a stack parameter`).toEqual({ Type: 'AWS::SSM::Parameter::Value<String>', Default: fisLayerParameter });
      }
    }
    expect(layered).toBeGreaterThan(0);
  });

  it('SNS: every alarm notifies a topic encrypted with a customer managed key whose policy lets cloudwatch.amazonaws.com use it, with a topic policy that lets CloudWatch publish (SNS developer guide, "Key management": compatibility with AWS services; alias/aws/sns cannot be used)', () => {
    for (const { stackName, template } of [...aws, ...variant('fis')]) {
      const metricAlarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
      expect(metricAlarms.length, stackName).toBeGreaterThan(0);
      const topics = new Set<string>();
      for (const [id, alarm] of metricAlarms) {
        const actions = asList(props(alarm).AlarmActions);
        expect(actions.length, `${stackName}/${id} notifies someone`).toBeGreaterThan(0);
        for (const action of actions) topics.add(refersTo(action) ?? `(not a topic of this stack: ${JSON.stringify(action)})`);
      }
      for (const [id, alarm] of resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm')) {
        for (const action of asList(props(alarm).AlarmActions)) topics.add(refersTo(action) ?? `(${id}: not a topic of this stack)`);
      }
      for (const topicId of topics) {
        const topic = template.Resources[topicId];
        expect(topic?.Type, `${stackName}: alarm action ${topicId} is a topic of the stack`).toBe('AWS::SNS::Topic');
        const keyId = refersTo(props(topic!).KmsMasterKeyId);
        const key = template.Resources[keyId ?? ''];
        expect(key?.Type, `${stackName}/${topicId} is encrypted with a key of the stack (${JSON.stringify(props(topic!).KmsMasterKeyId)})`).toBe('AWS::KMS::Key');
        const keyStatements = asList((props(key!).KeyPolicy as { Statement: Statement[] }).Statement);
        const cloudWatchUse = keyStatements.filter((statement) => statement.Effect === 'Allow' && asList(statement.Principal?.Service).includes('cloudwatch.amazonaws.com'));
        const keyActions = cloudWatchUse.flatMap((statement) => asList(statement.Action));
        expect(keyActions, `${stackName}/${keyId} lets CloudWatch use it`).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));

        const topicPolicies = resourcesOf(template, 'AWS::SNS::TopicPolicy').filter(([, policy]) => asList(props(policy).Topics).some((ref) => refersTo(ref) === topicId));
        const publishers = topicPolicies.flatMap(([, policy]) => asList((props(policy).PolicyDocument as { Statement: Statement[] }).Statement));
        const cloudWatchPublish = publishers.filter(
          (statement) => statement.Effect === 'Allow' && asList(statement.Principal?.Service).includes('cloudwatch.amazonaws.com') && asList(statement.Action).includes('sns:Publish'),
        );
        expect(cloudWatchPublish.length, `${stackName}/${topicId} lets CloudWatch publish`).toBeGreaterThan(0);
        expect(cloudWatchPublish.every((statement) => statement.Condition?.StringEquals?.['aws:SourceAccount'] !== undefined), `${stackName}/${topicId}: only this account's alarms`).toBe(true);
      }
    }
  });

  it('CloudFormation: no cross-stack export that a setting can remove (CloudFormation user guide, "Fn::ImportValue": an export cannot be deleted or changed while another stack imports it)', () => {
    const exportsOf = (templates: AssemblyTemplate[]) =>
      new Map(templates.map(({ stackName, template }) => [stackName, Object.values(template.Outputs ?? {}).flatMap((output) => (output.Export ? [JSON.stringify(output.Export.Name)] : [])).sort()]));
    const baseline = exportsOf(aws);
    for (const name of Object.keys(settingVariants)) {
      const templates = variant(name);
      for (const [stackName, exports] of exportsOf(templates)) {
        // A stack only some settings deploy must export nothing: a later deploy without the setting would drop its exports.
        expect(exports, `${name}: exports of ${stackName}`).toEqual(baseline.get(stackName) ?? []);
      }
      const imports = templates.flatMap(({ stackName, template }) => (JSON.stringify(template.Resources).match(/"Fn::ImportValue"/g) ?? []).map(() => stackName));
      expect(imports, `${name}: stacks importing another stack's exports`).toEqual([]);
    }
  });

  it('names: every physical name within its AWS length limit once pseudo parameters resolve (SQS 80, Lambda 64, IAM role 64, DynamoDB 255, EventBridge rule 64, archive 48, CloudWatch alarm 255, S3 bucket 63, SSM document 128, Scheduler group 64; each service quota page)', () => {
    let named = 0;
    for (const { stackName, template } of Object.keys(settingVariants).flatMap((name) => variant(name))) {
      for (const [id, resource] of Object.entries(template.Resources)) {
        const [property, maximum] = nameLimits[resource.Type] ?? [];
        const value = property ? props(resource)[property] : undefined;
        if (value === undefined) continue;
        named += 1;
        expect(longestString(value, template, stackName).length, `${stackName}/${id} ${property} ${JSON.stringify(value)}`).toBeLessThanOrEqual(maximum!);
      }
    }
    expect(named).toBeGreaterThan(5);
  });

  it('Lambda: every function environment at most 4 KB, keys and values (Lambda quotas, "Function resource: environment variables 4 KB")', () => {
    let measured = 0;
    for (const { stackName, template } of [...aws, ...variant('fis'), ...variant('faultInjection')]) {
      for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
        const variables = (props(fn).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        const size = Buffer.byteLength(JSON.stringify(withLongestValues(variables, template, stackName)));
        expect(size, `${stackName}/${id} environment, bytes at most`).toBeLessThanOrEqual(4096);
        measured += 1;
      }
    }
    expect(measured).toBeGreaterThan(20);
  });

  it('IAM: each role\'s inline policies together at most 10,240 characters, whitespace excluded (IAM quotas, "Role policy size")', () => {
    for (const { stackName, template } of [...aws, ...variant('fis'), ...variant('faultInjection')]) {
      const sizes = new Map<string, number>();
      const add = (role: string, document: unknown) => sizes.set(role, (sizes.get(role) ?? 0) + JSON.stringify(withLongestValues(document, template, stackName)).length);
      for (const [id, role] of resourcesOf(template, 'AWS::IAM::Role')) {
        for (const policy of asList(props(role).Policies as { PolicyDocument: unknown }[] | undefined)) add(id, policy.PolicyDocument);
      }
      for (const [, policy] of resourcesOf(template, 'AWS::IAM::Policy')) {
        for (const role of asList(props(policy).Roles)) add(refersTo(role) ?? JSON.stringify(role), props(policy).PolicyDocument);
      }
      expect(sizes.size, stackName).toBeGreaterThan(0);
      for (const [role, size] of sizes) expect(size, `${stackName}/${role} inline policies, characters at most`).toBeLessThanOrEqual(10_240);
    }
  });

  it('Lambda: reserved concurrency only with duckstore:reservedConcurrency=true (Lambda quotas: a new account may have 10 concurrent executions, and 100 must stay unreserved)', () => {
    const reserved = (templates: AssemblyTemplate[]) =>
      templates.flatMap(({ stackName, template }) =>
        resourcesOf(template, 'AWS::Lambda::Function').flatMap(([id, fn]) => (props(fn).ReservedConcurrentExecutions === undefined ? [] : [`${stackName}/${id}=${String(props(fn).ReservedConcurrentExecutions)}`])),
      );
    for (const name of Object.keys(settingVariants).filter((candidate) => candidate !== 'reservedConcurrency')) {
      expect(reserved(variant(name)), `${name}: functions with reserved concurrency`).toEqual([]);
    }
    expect(reserved(variant('reservedConcurrency'))).toEqual([expect.stringMatching(/^DuckStore-primary\/OrdersDeadlinesSweeper[0-9A-F]{8}=1$/)]);
  });

  it('API Gateway: the HTTP API access log uses only HTTP API $context variables (API Gateway developer guide, "Customize HTTP API access logs"; REST-only fields such as resourcePath log nothing)', () => {
    const httpApiVariables = new Set([
      'accountId', 'apiId', 'authorizer.error', 'awsEndpointRequestId', 'dataProcessed', 'domainName', 'domainPrefix', 'error.message', 'error.messageString', 'error.responseType',
      'extendedRequestId', 'httpMethod', 'identity.sourceIp', 'identity.userAgent', 'integration.error', 'integration.integrationStatus', 'integration.latency', 'integration.requestId',
      'integration.status', 'integrationErrorMessage', 'integrationLatency', 'integrationStatus', 'path', 'protocol', 'requestId', 'requestTime', 'requestTimeEpoch', 'responseLatency',
      'responseLength', 'routeKey', 'stage', 'status',
    ]);
    const stages = aws.flatMap(({ template }) => resourcesOf(template, 'AWS::ApiGatewayV2::Stage'));
    expect(stages.length).toBeGreaterThan(0);
    for (const [id, stage] of stages) {
      const format = (props(stage).AccessLogSettings as { Format: string }).Format;
      const used = [...format.matchAll(/\$context\.([A-Za-z0-9.]+)/g)].map((match) => match[1]!);
      expect(used.length, id).toBeGreaterThan(5);
      expect(used.filter((name) => !httpApiVariables.has(name)), `${id}: variables HTTP APIs do not have`).toEqual([]);
      expect(used, `${id} logs the route and status`).toEqual(expect.arrayContaining(['routeKey', 'status', 'requestId']));
    }
  });
});
