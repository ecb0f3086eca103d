import { readdirSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import type { EventContract } from '#contracts/envelope';

/** One `detail` per event type, named after its detail-type: test/fixtures/events/<DetailType>.json. */
export const eventFixturesDir = new URL('../fixtures/events/', import.meta.url);
/** The pinned JSON schema of each contract's `detail`: test/fixtures/events/schemas/<DetailType>.schema.json. */
export const eventSchemasDir = new URL('schemas/', eventFixturesDir);

export const fixtureUrl = (detailType: string): URL => new URL(`${detailType}.json`, eventFixturesDir);
export const schemaUrl = (detailType: string): URL => new URL(`${detailType}.schema.json`, eventSchemasDir);

/** A fresh copy on every call, so a test may mutate what it gets. */
export const readEventFixture = (detailType: string): Record<string, unknown> & { metadata: Record<string, unknown>; data: Record<string, unknown> } =>
  JSON.parse(readFileSync(fixtureUrl(detailType), 'utf8')) as Record<string, unknown> & { metadata: Record<string, unknown>; data: Record<string, unknown> };

export const fixtureDetailTypes = (): string[] =>
  readdirSync(eventFixturesDir).flatMap((name) => (name.endsWith('.json') ? [name.slice(0, -'.json'.length)] : []));

export const pinnedSchemaDetailTypes = (): string[] =>
  readdirSync(eventSchemasDir).flatMap((name) => (name.endsWith('.schema.json') ? [name.slice(0, -'.schema.json'.length)] : []));

export const readPinnedSchema = (detailType: string): unknown => JSON.parse(readFileSync(schemaUrl(detailType), 'utf8'));

/** What the pinned file must hold: the JSON schema zod derives from the contract's `detail`. */
export const currentSchema = (contract: EventContract): unknown => z.toJSONSchema(contract.detail);

export const formatSchema = (schema: unknown): string => `${JSON.stringify(schema, null, 2)}\n`;
