/**
 * Rewrites the pinned JSON schemas of every event contract. Run it by hand,
 * only when a contract change is intended, and review the diff: a consumer in
 * another region may still run the old version.
 *
 *   npx tsx test/helpers/events-write-schemas.ts
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { allEvents } from '#contracts/events';
import { currentSchema, eventSchemasDir, formatSchema, schemaUrl } from './events-fixtures';

mkdirSync(eventSchemasDir, { recursive: true });
for (const name of readdirSync(eventSchemasDir)) {
  if (name.endsWith('.schema.json')) rmSync(new URL(name, eventSchemasDir));
}
for (const contract of allEvents) {
  writeFileSync(schemaUrl(contract.detailType), formatSchema(currentSchema(contract)));
  console.log(`pinned ${contract.detailType} v${contract.version}`);
}
