import { BaseProvider } from '@aws-lambda-powertools/parameters/base';

/**
 * A Powertools parameter provider over a map, so the real BaseProvider
 * cache, maxAge and forceFetch are what a test exercises. Values are keyed
 * by name and version stage (`sdkOptions.VersionStage`, default AWSCURRENT);
 * a missing one fails like Secrets Manager, with ResourceNotFoundException.
 */
export class InMemoryParameterProvider extends BaseProvider {
  /** Every read that reached the "store" (cache misses and forced fetches), as `name@stage`. */
  readonly reads: string[] = [];

  /** `values` may be another provider's: a second cache over the same store, as a reader of a second version stage has. */
  constructor(readonly values = new Map<string, string>()) {
    super({});
  }

  set(name: string, value: string | undefined, stage = 'AWSCURRENT'): void {
    if (value === undefined) this.values.delete(`${name}@${stage}`);
    else this.values.set(`${name}@${stage}`, value);
  }

  protected async _get(name: string, options?: { sdkOptions?: { VersionStage?: string } }): Promise<string | undefined> {
    const key = `${name}@${options?.sdkOptions?.VersionStage ?? 'AWSCURRENT'}`;
    this.reads.push(key);
    const value = this.values.get(key);
    if (value === undefined) throw Object.assign(new Error(`Secrets Manager can't find the specified secret value for ${key}`), { name: 'ResourceNotFoundException' });
    return value;
  }

  protected async _getMultiple(): Promise<Record<string, unknown> | undefined> {
    throw new Error('not used');
  }
}
