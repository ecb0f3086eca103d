import { describe, expect, it } from 'vitest';
import { allEvents } from '#contracts/events';
import { currentSchema, pinnedSchemaDetailTypes, readPinnedSchema } from '../../helpers/events-fixtures';

/*
 * A schema change is a change of the contract between contexts that deploy
 * separately (and live in different regions). When it is intended, regenerate
 * the pinned files with `npx tsx test/helpers/events-write-schemas.ts` and
 * review the diff; when it is not, this test caught it.
 */
describe('pinned event schemas', () => {
  it.each(allEvents.map((contract) => [contract.detailType, contract] as const))('pins the JSON schema of the %s detail', (detailType, contract) => {
    const pinned = readPinnedSchema(detailType);

    const current = currentSchema(contract);

    expect(current, `${detailType} schema changed; if intended, run npx tsx test/helpers/events-write-schemas.ts`).toEqual(pinned);
  });

  it('keeps no pinned schema for an event that no longer exists', () => {
    const pinned = pinnedSchemaDetailTypes().sort();

    const detailTypes = allEvents.map((contract) => contract.detailType).sort();

    expect(pinned).toEqual(detailTypes);
  });
});
