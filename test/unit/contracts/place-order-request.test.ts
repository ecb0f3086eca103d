import { describe, expect, it } from 'vitest';
import { apiLimits, placeOrderRequestSchema } from '#contracts/api';

const validOrder = () => ({
  customerId: 'cust-7f3a21',
  items: [
    { sku: 'DUCK-PIRATE', quantity: 2 },
    { sku: 'DUCK-CLASSIC', quantity: 3 },
  ],
});

/** The distinct paths the schema complains about; one path may fail several checks. */
const issuePaths = (input: unknown): string[] => {
  const result = placeOrderRequestSchema.safeParse(input);
  return result.success ? [] : [...new Set(result.error.issues.map((issue) => issue.path.join('.')))];
};

describe('placeOrderRequestSchema', () => {
  it('accepts a valid order', () => {
    const order = validOrder();

    const result = placeOrderRequestSchema.safeParse(order);

    expect(result.success).toBe(true);
    expect(result.data).toEqual(order);
  });

  it('accepts the largest order the limits allow', () => {
    const order = {
      customerId: 'jane.doe@example.com',
      items: Array.from({ length: apiLimits.maxLines }, (_, n) => ({ sku: `DUCK-${n}`, quantity: apiLimits.maxQuantityPerLine })),
    };

    const result = placeOrderRequestSchema.safeParse(order);

    expect(result.success).toBe(true);
  });

  it('rejects an unknown top-level field', () => {
    const order = { ...validOrder(), discountCode: 'FREE-DUCKS' };

    expect(issuePaths(order)).toEqual(['']);
  });

  it('rejects an unknown field in an item (a client cannot set its own price)', () => {
    const order = { ...validOrder(), items: [{ sku: 'DUCK-GOLD', quantity: 1, unitPriceCents: 1 }] };

    expect(issuePaths(order)).toEqual(['items.0']);
  });

  it.each([0, -1, 1.5, apiLimits.maxQuantityPerLine + 1])('rejects quantity %s', (quantity) => {
    const order = { ...validOrder(), items: [{ sku: 'DUCK-NINJA', quantity }] };

    expect(issuePaths(order)).toEqual(['items.0.quantity']);
  });

  it('rejects a quantity sent as a string', () => {
    const order = { ...validOrder(), items: [{ sku: 'DUCK-NINJA', quantity: '2' }] };

    expect(issuePaths(order)).toEqual(['items.0.quantity']);
  });

  it(`rejects ${apiLimits.maxLines + 1} items`, () => {
    const order = { ...validOrder(), items: Array.from({ length: apiLimits.maxLines + 1 }, (_, n) => ({ sku: `DUCK-${n}`, quantity: 1 })) };

    expect(issuePaths(order)).toEqual(['items']);
  });

  it('rejects an order without items', () => {
    const order = { ...validOrder(), items: [] };

    expect(issuePaths(order)).toEqual(['items']);
  });

  it('rejects the same sku twice and asks to add up the quantities', () => {
    const order = { ...validOrder(), items: [{ sku: 'DUCK-ASTRO', quantity: 1 }, { sku: 'DUCK-ASTRO', quantity: 2 }] };

    const result = placeOrderRequestSchema.safeParse(order);

    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['items'], message: expect.stringMatching(/add up the quantities/) })]);
  });

  it.each(['', '   '])('rejects the customerId %j', (customerId) => {
    const order = { ...validOrder(), customerId };

    expect(issuePaths(order)).toEqual(['customerId']);
  });

  it('rejects a missing customerId', () => {
    const { items } = validOrder();

    expect(issuePaths({ items })).toEqual(['customerId']);
  });

  it('rejects a lower-case sku', () => {
    const order = { ...validOrder(), items: [{ sku: 'duck-classic', quantity: 1 }] };

    expect(issuePaths(order)).toEqual(['items.0.sku']);
  });
});
