import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main';

describe('duckstore provider-secret rotate', () => {
  it('refuses an unknown step as a usage error, before it looks for a deployment', async () => {
    const errors: string[] = [];

    const code = await main(['provider-secret', 'rotate', 'now'], () => {}, (line) => errors.push(line));

    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('pending, promote, finish');
  });

  it('lists itself in the usage', async () => {
    const lines: string[] = [];

    await main(['--help'], (line) => lines.push(line));

    expect(lines.join('\n')).toContain('provider-secret rotate pending|promote|finish');
  });
});
