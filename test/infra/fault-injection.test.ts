import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, InvalidSettingError } from '../../lib/app';
import { FaultInjectionStack } from '../../lib/stacks/fault-injection-stack';
import { cdkJsonContext } from '../helpers/synth';

const layerArn = 'arn:aws:lambda:{region}:111122223333:layer:aws-fis-extension-arm64:9';
const newApp = (context: Record<string, unknown>) => new App({ outdir: mkdtempSync(join(tmpdir(), 'duckstore-fis-')), context: { ...cdkJsonContext(), ...context } });

describe('fault injection (run-time controls and the AWS FIS stack)', () => {
  let app: App;
  let fisStacks: FaultInjectionStack[];
  let regionTemplates: Map<string, Template>;
  /** The same app without fault injection or FIS, as cdk.json deploys it. */
  let plain: ReturnType<typeof buildApp>;

  beforeAll(() => {
    plain = buildApp(newApp({}));
    const built = buildApp(newApp({ 'duckstore:faultInjection': 'true', 'duckstore:fis': 'true', 'duckstore:fisExtensionLayerArn': layerArn }));
    app = built.app;
    // cdk-nag runs at synthesis: an unacknowledged finding in any stack throws here.
    app.synth();
    fisStacks = app.node.children.filter((child): child is FaultInjectionStack => child instanceof FaultInjectionStack);
    regionTemplates = new Map(built.stacks.map((stack) => [stack.region, Template.fromStack(stack)]));
  });

  it('adds one FIS stack per region, and none without duckstore:fis', () => {
    expect(fisStacks.map((stack) => stack.region).sort()).toEqual([...regionTemplates.keys()].sort());
    expect(plain.app.node.children.some((child) => child instanceof FaultInjectionStack)).toBe(false);
  });

  it('gives every experiment template stop conditions on the DLQ and invariant alarms', () => {
    for (const stack of fisStacks) {
      const templates = Template.fromStack(stack).findResources('AWS::FIS::ExperimentTemplate');
      expect(Object.keys(templates).length).toBeGreaterThan(0);
      for (const template of Object.values(templates) as { Properties: { StopConditions: { Source: string; Value: unknown }[] } }[]) {
        const alarms = template.Properties.StopConditions;
        // One per DLQ of the region plus the invariant alarm.
        expect(alarms.length).toBeGreaterThanOrEqual(2);
        expect(alarms.every((condition) => condition.Source === 'aws:cloudwatch:alarm')).toBe(true);
      }
    }
  });

  it('uses the native Lambda fault actions: crash after and before the commit, delay, and the provider outage as an HTTP 503', () => {
    const secondary = fisStacks.find((stack) => stack.templates['provider-outage'])!;
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
    const template = Template.fromStack(fisStacks[0]!);
    template.hasResourceProperties('AWS::S3::Bucket', { PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } });
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'fis.amazonaws.com' } })] } });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/FisConfigs/*');
  });

  it('puts the FIS extension on the targeted functions, and the control table in every function environment', () => {
    const primary = regionTemplates.get(fisStacks[0]!.region)!;
    primary.hasResourceProperties('AWS::Lambda::Function', {
      Layers: ['arn:aws:lambda:' + fisStacks[0]!.region + ':111122223333:layer:aws-fis-extension-arm64:9'],
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

  it('refuses duckstore:fis without the extension layer ARN', () => {
    expect(() => buildApp(newApp({ 'duckstore:fis': 'true' }))).toThrow(InvalidSettingError);
  });
});
