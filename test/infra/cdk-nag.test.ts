import { App, Stack } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { cdkJsonContext } from '../helpers/synth';

const newApp = (context: Record<string, unknown> = {}) =>
  new App({ outdir: mkdtempSync(join(tmpdir(), 'duckstore-nag-')), context: { ...cdkJsonContext(), ...context } });

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in any stack of the default app', () => {
    const { app } = buildApp(newApp());
    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged in a one-region app without the JWT authorizer', () => {
    const { app } = buildApp(
      newApp({
        'duckstore:topology': { regions: { primary: 'eu-west-1' }, contexts: { orders: 'primary', inventory: 'primary', payments: 'primary', notifications: 'primary' } },
        'duckstore:apiAuth': 'none',
      }),
    );
    expect(() => app.synth()).not.toThrow();
  });

  it('is active: a queue that allows plain HTTP fails synthesis with its rule id', () => {
    const { app } = buildApp(newApp());
    new Queue(new Stack(app, 'NagCanary'), 'Insecure');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
