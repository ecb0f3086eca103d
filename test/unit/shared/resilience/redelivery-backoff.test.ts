import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRedeliveryBackoff, redeliveryDelaySeconds } from '#shared/resilience/redelivery-backoff';

const always = (value: number) => () => value;
const almostOne = 1 - Number.EPSILON;

describe('redeliveryDelaySeconds', () => {
  it('quadruples per failed receive up to the maximum: seconds after a blip, minutes into an outage', () => {
    const longest = [1, 2, 3, 4, 5, 6].map((receiveCount) => redeliveryDelaySeconds(receiveCount, defaultRedeliveryBackoff, always(almostOne)));
    const shortest = [1, 2, 3, 4, 5, 6].map((receiveCount) => redeliveryDelaySeconds(receiveCount, defaultRedeliveryBackoff, always(0)));

    expect(longest).toEqual([2, 8, 32, 120, 120, 120]);
    expect(shortest).toEqual([1, 4, 16, 60, 60, 60]);
  });

  it("keeps a consumer's five receives well inside the queue's old 5 × 66 s and the 300 s saga deadline", () => {
    const worstCase = [1, 2, 3, 4, 5].reduce((sum, receiveCount) => sum + redeliveryDelaySeconds(receiveCount, defaultRedeliveryBackoff, always(almostOne)), 0);

    expect(worstCase).toBe(282);
    expect(worstCase).toBeLessThan(5 * 66);
  });

  it('adds what the failure is known to need first (the rest of an open breaker\'s cooldown), rounded up', () => {
    const openBreaker = { ...defaultRedeliveryBackoff, notBeforeSeconds: 7.2 };

    expect(redeliveryDelaySeconds(1, openBreaker, always(0))).toBe(8 + 1);
    expect(redeliveryDelaySeconds(2, openBreaker, always(almostOne))).toBe(8 + 8);
    expect(redeliveryDelaySeconds(1, { ...defaultRedeliveryBackoff, notBeforeSeconds: 10 ** 9 }, always(0))).toBe(12 * 3600);
  });

  it('is a whole number of seconds in [ceiling/2, ceiling], never 0 (which would hand the message straight back)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3, max: 1_000 }), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 50_000 }), fc.double({ min: 0, max: almostOne, noNaN: true }), (receiveCount, firstSeconds, maxSeconds, random) => {
        const delay = redeliveryDelaySeconds(receiveCount, { firstSeconds, maxSeconds }, always(random));
        const ceiling = Math.min(maxSeconds, 12 * 3600, firstSeconds * 4 ** (Math.max(1, receiveCount) - 1));

        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(Math.max(1, Math.floor(ceiling / 2)));
        expect(delay).toBeLessThanOrEqual(Math.max(1, Math.ceil(ceiling)));
      }),
    );
  });
});
