import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, InvalidSettingError } from '../../lib/app';
import { DeadLetterQueue } from '../../lib/constructs/dead-letter-queue';
import { fisExtensionLayerParameter } from '../../lib/constructs/fault-injection-experiments';
import type { RegionStack } from '../../lib/stacks/region-stack';
import { cdkJsonContext } from '../helpers/synth';

const newApp = (context: Record<string, unknown>) => new App({ outdir: mkdtempSync(join(tmpdir(), 'duckstore-fis-')), context: { ...cdkJsonContext(), ...context } });

describe('fault injection (run-time controls and the AWS FIS stack)', () => {
  let app: App;
  let fisRegions: RegionStack[];
  let regionTemplates: Map<string, Template>;
  /** The same app without fault injection or FIS, as cdk.json deploys it. */
  let plain: ReturnType<typeof buildApp>;

  beforeAll(() => {
    plain = buildApp(newApp({}));
    const built = buildApp(newApp({ 'duckstore:faultInjection': 'true', 'duckstore:fis': 'true' }));
    app = built.app;
    // cdk-nag runs at synthesis: an unacknowledged finding in any stack throws here.
    app.synth();
    fisRegions = built.stacks;
    regionTemplates = new Map(built.stacks.map((stack) => [stack.region, Template.fromStack(stack)]));
  });

  it('puts the experiments in every region stack, no stack of their own, and none without duckstore:fis', () => {
    expect(fisRegions.every((stack) => stack.faultInjection !== undefined)).toBe(true);
    expect(app.node.children.filter((child) => child instanceof Stack)).toHaveLength(fisRegions.length);
    for (const stack of plain.stacks) {
      expect(stack.faultInjection).toBeUndefined();
      expect(Template.fromStack(stack).findResources('AWS::FIS::ExperimentTemplate')).toEqual({});
    }
  });

  it('stops every experiment template on one composite alarm over every DLQ alarm and the invariant alarm of its region', () => {
    for (const stack of fisRegions) {
      const template = regionTemplates.get(stack.region)!;
      const compositeId = stack.getLogicalId(stack.faultInjection!.stopCondition.node.defaultChild as CfnElement);
      const experiments = Object.values(template.findResources('AWS::FIS::ExperimentTemplate')) as { Properties: { StopConditions: unknown[] } }[];
      expect(experiments.length).toBeGreaterThan(0);
      for (const experiment of experiments) {
        expect(experiment.Properties.StopConditions).toEqual([{ Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': [compositeId, 'Arn'] } }]);
      }
      const rule = JSON.stringify((template.findResources('AWS::CloudWatch::CompositeAlarm')[compositeId] as { Properties: { AlarmRule: unknown } }).Properties.AlarmRule);
      const watched = stack.node.findAll().filter((node): node is DeadLetterQueue => node instanceof DeadLetterQueue).map((dlq) => dlq.alarm);
      expect(watched.length).toBeGreaterThan(2);
      for (const alarm of [...watched, stack.auditor.alarm]) expect(rule).toContain(stack.getLogicalId(alarm.node.defaultChild as CfnElement));
    }
  });

  it('uses the native Lambda fault actions: crash after and before the commit, delay, and the provider outage as an HTTP 503', () => {
    const secondary = fisRegions.find((stack) => stack.faultInjection?.templates['provider-outage'])!;
    const template = Template.fromStack(secondary);
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Tags: { Name: 'duckstore-payments-consumer-crash-after-commit' },
      Actions: { Inject: { ActionId: 'aws:lambda:invocation-error', Parameters: Match.objectLike({ preventExecution: 'false' }) } },
    });
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Tags: { Name: 'duckstore-payments-consumer-crash-before-commit' },
      Actions: { Inject: { ActionId: 'aws:lambda:invocation-error', Parameters: Match.objectLike({ preventExecution: 'true' }) } },
    });
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      Tags: { Name: 'duckstore-provider-outage' },
      Actions: { Inject: { ActionId: 'aws:lambda:invocation-http-integration-response', Parameters: Match.objectLike({ statusCode: '503', preventExecution: 'true' }) } },
    });
    template.hasResourceProperties('AWS::FIS::ExperimentTemplate', { Actions: { Inject: { ActionId: 'aws:lambda:invocation-add-delay' } } });
  });

  it('lets FIS write its configuration only under FisConfigs/ of a private, TLS-only bucket', () => {
    const template = regionTemplates.get(fisRegions[0]!.region)!;
    template.hasResourceProperties('AWS::S3::Bucket', { PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } });
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'fis.amazonaws.com' } })] } });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/FisConfigs/*');
  });

  it('puts the FIS extension on the targeted functions, and the control table in every function environment', () => {
    const primary = regionTemplates.get(fisRegions[0]!.region)!;
    const [layerParameter] = Object.entries(primary.toJSON().Parameters as Record<string, { Type: string; Default?: string }>).find(([, parameter]) => parameter.Default === fisExtensionLayerParameter)!;
    primary.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: layerParameter }],
      Environment: { Variables: Match.objectLike({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/aws-fis/bootstrap', AWS_FIS_CONFIGURATION_LOCATION: Match.anyValue() }) },
    });
    for (const template of regionTemplates.values()) {
      const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }[];
      expect(functions.length).toBeGreaterThan(0);
      expect(functions.every((fn) => fn.Properties.Environment?.Variables?.DUCKSTORE_CONTROLS_TABLE !== undefined)).toBe(true);
      template.hasOutput('ControlsTableName', {});
    }
  });

  it('deploys no control table and no control variable without duckstore:faultInjection (no cost when off)', () => {
    for (const stack of plain.stacks) {
      const template = Template.fromStack(stack);
      expect(JSON.stringify(template.toJSON())).not.toContain('DUCKSTORE_CONTROLS_TABLE');
      expect(template.findOutputs('ControlsTableName')).toEqual({});
    }
  });

  it('refuses the retired duckstore:fisExtensionLayerArn, which the per-region SSM parameter replaced', () => {
    expect(() => buildApp(newApp({ 'duckstore:fis': 'true', 'duckstore:fisExtensionLayerArn': 'arn:aws:lambda:{region}:111122223333:layer:aws-fis-extension-arm64:9' }))).toThrow(InvalidSettingError);
  });
});
