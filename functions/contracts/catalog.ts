/**
 * The product catalog. It is static and ships with the code: prices are read
 * by the orders API, SKUs are stocked by inventory. A real store would own this
 * in a catalog service; the saga does not depend on where it lives.
 */
export const catalog = {
  'DUCK-CLASSIC': { name: 'Classic yellow duck', unitPriceCents: 499 },
  'DUCK-PIRATE': { name: 'Pirate duck', unitPriceCents: 899 },
  'DUCK-NINJA': { name: 'Ninja duck', unitPriceCents: 999 },
  'DUCK-ASTRO': { name: 'Astronaut duck', unitPriceCents: 1499 },
  'DUCK-GOLD': { name: 'Solid gold duck', unitPriceCents: 250_000 },
  'DUCK-LIMITED': { name: 'Limited edition duck (scarce stock)', unitPriceCents: 4999 },
} as const satisfies Record<string, { name: string; unitPriceCents: number }>;

export type Sku = keyof typeof catalog;

export const isCatalogSku = (sku: string): sku is Sku => Object.hasOwn(catalog, sku);
