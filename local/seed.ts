/**
 * Seeds a deployment (found by cli/deployment.ts): stock for every SKU of the
 * catalog, DUCK-LIMITED scarce so that an out-of-stock order can be demonstrated.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { catalog, type Sku } from '#contracts/catalog';
import { setStock } from '../functions/inventory/adapters/dynamodb-reservation-repository';
import { regionDeploymentOf, stateTableOf, type Deployment } from '../cli/deployment';
import { say } from './paths';

/** Stock per SKU; `satisfies` makes a new catalog SKU without a seed quantity a type error. */
export const defaultStock = {
  'DUCK-CLASSIC': 1000,
  'DUCK-PIRATE': 500,
  'DUCK-NINJA': 500,
  'DUCK-ASTRO': 200,
  'DUCK-GOLD': 20,
  // Scarce on purpose: an order of more than 3 is rejected by inventory (InventoryRejected → CANCELLED).
  'DUCK-LIMITED': 3,
} as const satisfies Record<Sku, number>;

export interface SeedResult {
  tableName: string;
  stock: Record<Sku, number>;
  seconds: number;
}

/**
 * Sets `available` for every catalog SKU in the inventory table, with the
 * inventory context's own `setStock`, which moves each SKU's `received` total
 * by as much, so the auditor's stock conservation holds across the reset
 * whatever reservations hold.
 */
export async function seedStock(deployment: Deployment, stock: Record<Sku, number> = defaultStock): Promise<SeedResult> {
  const start = performance.now();
  const { region } = regionDeploymentOf(deployment, 'inventory');
  const stateTable = stateTableOf(deployment, 'inventory');
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(deployment.target.aws(region)));
  try {
    const skus = Object.keys(catalog) as Sku[];
    await Promise.all(skus.map((sku) => setStock(stateTable, sku, stock[sku], client)));
    const elapsed = (performance.now() - start) / 1000;
    say('seed', `stock set in ${stateTable} (${region}) in ${elapsed.toFixed(2)} s: ${skus.map((sku) => `${sku}=${stock[sku]}`).join(', ')}`);
    return { tableName: stateTable, stock, seconds: elapsed };
  } finally {
    client.destroy();
  }
}
