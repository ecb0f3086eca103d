import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../lib/app';
import type { RegionStack } from '../../lib/stacks/region-stack';

/** The context of cdk.json, so tests synthesize exactly what `cdk synth` does. */
export const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

export interface Synthesized {
  app: App;
  stacks: RegionStack[];
  templates: Map<string, Template>;
  outdir: string;
}

/** Synthesizes the app (bundling every function with esbuild) with cdk.json's context plus overrides. */
export function synthesize(overrides: Record<string, unknown> = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'duckstore-synth-'));
  const { app, stacks } = buildApp(new App({ outdir, context: { ...cdkJsonContext(), ...overrides } }));
  const templates = new Map(stacks.map((stack) => [stack.stackName, Template.fromStack(stack)]));
  return { app, stacks, templates, outdir };
}

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown };

export const resourcesOf = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.findResources(type)) as [string, Resource][];

/** One synthesized CloudFormation template of the cloud assembly, with the region it deploys to and its file. */
export interface AssemblyTemplate {
  stackName: string;
  region: string;
  file: string;
  template: CfnTemplate;
}

export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/**
 * Synthesizes the whole cloud assembly (every stack, cdk-nag included) with
 * cdk.json's context plus overrides, and returns every template. Without
 * `bundle` no function is bundled: a template differs only in its asset hashes,
 * and synthesis takes a second instead of fifteen.
 */
export function synthesizeAssembly(overrides: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): AssemblyTemplate[] {
  const outdir = mkdtempSync(join(tmpdir(), 'duckstore-assembly-'));
  const context = { ...cdkJsonContext(), ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...overrides };
  const assembly = buildApp(new App({ outdir, context })).app.synth();
  return assembly.stacks.map((artifact) => ({
    stackName: artifact.stackName,
    region: artifact.environment.region,
    file: artifact.templateFullPath,
    template: artifact.template as CfnTemplate,
  }));
}
