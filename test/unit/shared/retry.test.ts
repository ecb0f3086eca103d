import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '#shared/retry';

const always = (value: number) => () => value;
const almostOne = 1 - Number.EPSILON;

describe('backoffDelayMs', () => {
  it('never exceeds the cap, however many attempts', () => {
    const delays = Array.from({ length: 40 }, (_, attempt) => backoffDelayMs(attempt, 100, 2_000, always(almostOne)));

    expect(Math.max(...delays)).toBeLessThan(2_000);
    expect(delays.at(-1)).toBe(1_999);
  });

  it('spreads the delay over the full range from 0 to the exponential ceiling (full jitter)', () => {
    const attempt = 3;

    const lowest = backoffDelayMs(attempt, 100, 60_000, always(0));
    const middle = backoffDelayMs(attempt, 100, 60_000, always(0.5));
    const highest = backoffDelayMs(attempt, 100, 60_000, always(almostOne));

    expect([lowest, middle, highest]).toEqual([0, 400, 799]);
  });

  it('grows exponentially with the attempt until it reaches the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, 100, 2_000, always(0.5)));

    expect(delays).toEqual([50, 100, 200, 400, 800, 1_000, 1_000]);
  });

  it('returns whole milliseconds', () => {
    const delay = backoffDelayMs(2, 33, 2_000, always(0.123));

    expect(Number.isInteger(delay)).toBe(true);
  });
});
