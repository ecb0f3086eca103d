import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidConfigurationError, MissingConfigurationError, requireWholeNumber } from '#shared/config';

describe('requireWholeNumber', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads a whole number', () => {
    vi.stubEnv('SAGA_DEADLINE_SECONDS', '300');

    expect(requireWholeNumber('SAGA_DEADLINE_SECONDS', { unit: 'seconds', positive: true })).toBe(300);
  });

  it('fails naming the variable when the deploy did not set it', () => {
    vi.stubEnv('SAGA_DEADLINE_SECONDS', '');

    expect(() => requireWholeNumber('SAGA_DEADLINE_SECONDS', { unit: 'seconds' })).toThrow(MissingConfigurationError);
    expect(() => requireWholeNumber('SAGA_DEADLINE_SECONDS', { unit: 'seconds' })).toThrow(/SAGA_DEADLINE_SECONDS/);
  });

  it.each([['soon'], ['1.5'], ['0']])('fails on %j where a positive whole number is needed', (value) => {
    vi.stubEnv('SAGA_DEADLINE_SECONDS', value);

    expect(() => requireWholeNumber('SAGA_DEADLINE_SECONDS', { unit: 'seconds', positive: true })).toThrow(InvalidConfigurationError);
  });
});
