/**
 * The deployed functions, as the benchmark needs them: name and region (from
 * the deployment, found through CloudFormation), memory and bundle (from the
 * synthesized cloud assembly the deploy used), and the run-time configuration
 * (environment, log group) from the Lambda API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Deployment } from '../deployment';

export interface BenchFunction {
  region: string;
  stackName: string;
  logicalId: string;
  /** Construct id without CDK's hash, e.g. `OrdersApiFunction`. */
  name: string;
  functionName: string;
  memoryMb: number;
  architecture: string;
  /** The bundle file in the cloud assembly, e.g. `.../asset.<hash>/index.js`. */
  bundleFile: string;
  handlerExport: string;
  environment: Record<string, string>;
  logGroup: string;
}

interface TemplateFunction {
  Type: string;
  Properties: { MemorySize?: number; Handler?: string; Architectures?: string[] };
  Metadata?: Record<string, string>;
}

export const shortName = (logicalId: string): string => logicalId.replace(/[0-9A-F]{8}$/, '');

/** Every function of the deployment with its bundle in `assemblyDir` (a `cdk.out`). */
export async function benchFunctions(deployment: Deployment, assemblyDir: string): Promise<BenchFunction[]> {
  const functions: BenchFunction[] = [];
  for (const region of deployment.regions) {
    const templateFile = path.join(assemblyDir, `${region.stackName}.template.json`);
    if (!fs.existsSync(templateFile)) throw new Error(`no ${templateFile}: point --assembly at the cdk.out the deployment was made from`);
    const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as { Resources: Record<string, TemplateFunction> };
    const lambda = new LambdaClient(deployment.target.aws(region.region));
    for (const resource of region.resources.filter((candidate) => candidate.type === 'AWS::Lambda::Function')) {
      const definition = template.Resources[resource.logicalId];
      const asset = definition?.Metadata?.['aws:asset:path'];
      // Functions CDK itself adds (custom resource providers) have inline code or none of ours: skip them.
      if (!definition || !asset || !definition.Properties.Handler) continue;
      const [file, handlerExport = 'handler'] = definition.Properties.Handler.split('.');
      const bundleFile = path.join(assemblyDir, asset, `${file}.js`);
      if (!fs.existsSync(bundleFile)) continue;
      const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: resource.physicalId }));
      functions.push({
        region: region.region,
        stackName: region.stackName,
        logicalId: resource.logicalId,
        name: shortName(resource.logicalId),
        functionName: resource.physicalId,
        memoryMb: definition.Properties.MemorySize ?? 128,
        architecture: definition.Properties.Architectures?.[0] ?? 'x86_64',
        bundleFile,
        handlerExport,
        environment: configuration.Environment?.Variables ?? {},
        logGroup: configuration.LoggingConfig?.LogGroup ?? `/aws/lambda/${resource.physicalId}`,
      });
    }
  }
  return functions;
}

export interface BundleSize {
  minifiedBytes: number;
  gzippedBytes: number;
}

export function bundleSize(file: string): BundleSize {
  const code = fs.readFileSync(file);
  return { minifiedBytes: code.length, gzippedBytes: gzipSync(code, { level: 9 }).length };
}
