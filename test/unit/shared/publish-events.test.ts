import { describe, expect, it } from 'vitest';
import { putEventsReliably } from '#shared/publish-events';
import { acceptAll, entryNumber, failWhere, fakeEventBridge, numberedEntries, throwing } from '../../helpers/fakes-event-bridge';

const noDelay = { sleep: async () => {} };
const numbersOf = (calls: { Detail?: string }[][]) => calls.map((entries) => entries.map(entryNumber));

describe('putEventsReliably', () => {
  it('publishes in calls of at most 10 entries, each entry once, in order', async () => {
    const { client, calls } = fakeEventBridge();
    const entries = numberedEntries(23);

    const failures = await putEventsReliably(client, entries, noDelay);

    expect(failures).toEqual([]);
    expect(calls.map((call) => call.length)).toEqual([10, 10, 3]);
    expect(calls.flat()).toEqual(entries);
  });

  it('makes no call for no entries', async () => {
    const { client, calls } = fakeEventBridge();

    const failures = await putEventsReliably(client, [], noDelay);

    expect(failures).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('retries only the entries PutEvents reported as failed', async () => {
    const { client, calls } = fakeEventBridge([failWhere('ThrottlingException', (entry) => [2, 5].includes(entryNumber(entry)))]);

    const failures = await putEventsReliably(client, numberedEntries(8), noDelay);

    expect(failures).toEqual([]);
    expect(numbersOf(calls)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7], [2, 5]]);
  });

  it('reports a permanent error code without retrying it', async () => {
    const { client, calls } = fakeEventBridge([failWhere('MalformedDetail', (entry) => entryNumber(entry) === 1)]);

    const failures = await putEventsReliably(client, numberedEntries(3), noDelay);

    expect(calls).toHaveLength(1);
    expect(failures).toEqual([{ index: 1, errorCode: 'MalformedDetail', errorMessage: 'fake MalformedDetail', retryable: false }]);
  });

  // The per-entry codes the PutEventsResultEntry API reference lists as non-retryable.
  it.each(['AccessDeniedException', 'InvalidAccountIdException', 'InvalidArgument', 'MalformedDetail', 'RedactionFailure', 'NotAuthorizedForSourceException', 'NotAuthorizedForDetailTypeException'])(
    'does not retry an entry that failed with %s, which AWS documents as non-retryable',
    async (errorCode) => {
      const { client, calls } = fakeEventBridge([], failWhere(errorCode, () => true));

      const failures = await putEventsReliably(client, numberedEntries(1), noDelay);

      expect(calls).toHaveLength(1);
      expect(failures).toEqual([expect.objectContaining({ index: 0, errorCode, retryable: false })]);
    },
  );

  it('retries the transient failures of a call that also had a permanent one', async () => {
    const { client, calls } = fakeEventBridge([
      (entries) => {
        const malformed = failWhere('MalformedDetail', (entry) => entryNumber(entry) === 0)(entries);
        const throttled = failWhere('ThrottlingException', (entry) => entryNumber(entry) === 2)(entries);
        const results = entries.map((entry, position) => (entryNumber(entry) === 2 ? throttled.Entries![position]! : malformed.Entries![position]!));
        return { FailedEntryCount: 2, Entries: results };
      },
    ]);

    const failures = await putEventsReliably(client, numberedEntries(4), noDelay);

    expect(numbersOf(calls)).toEqual([[0, 1, 2, 3], [2]]);
    expect(failures).toEqual([expect.objectContaining({ index: 0, errorCode: 'MalformedDetail', retryable: false })]);
  });

  it('treats a thrown error as a failure of the whole call and retries every entry of it', async () => {
    const { client, calls } = fakeEventBridge([acceptAll, throwing('TimeoutError')]);

    const failures = await putEventsReliably(client, numberedEntries(14), noDelay);

    expect(failures).toEqual([]);
    expect(numbersOf(calls)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13],
      [10, 11, 12, 13],
    ]);
  });

  it('reports a call that kept throwing as retryable failures named after the error', async () => {
    const { client } = fakeEventBridge([], throwing('NetworkingError', 'connect ETIMEDOUT'));

    const failures = await putEventsReliably(client, numberedEntries(2), { ...noDelay, maxAttempts: 2 });

    expect(failures).toEqual([
      { index: 0, errorCode: 'NetworkingError', errorMessage: 'connect ETIMEDOUT', retryable: true },
      { index: 1, errorCode: 'NetworkingError', errorMessage: 'connect ETIMEDOUT', retryable: true },
    ]);
  });

  it('gives up after maxAttempts and returns what still failed with the original indexes', async () => {
    const stuck = [4, 11];
    const { client, calls } = fakeEventBridge([], failWhere('InternalFailure', (entry) => stuck.includes(entryNumber(entry))));

    const failures = await putEventsReliably(client, numberedEntries(12), { ...noDelay, maxAttempts: 3 });

    expect(failures).toEqual([
      { index: 4, errorCode: 'InternalFailure', errorMessage: 'fake InternalFailure', retryable: true },
      { index: 11, errorCode: 'InternalFailure', errorMessage: 'fake InternalFailure', retryable: true },
    ]);
    expect(numbersOf(calls)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11], [4, 11], [4, 11]]);
  });

  it('forgets a failure once a retry of that entry succeeds', async () => {
    const { client } = fakeEventBridge([failWhere('ThrottlingException', () => true), failWhere('InternalFailure', (entry) => entryNumber(entry) === 1)]);

    const failures = await putEventsReliably(client, numberedEntries(3), noDelay);

    expect(failures).toEqual([]);
  });

  it('retries an entry the response reports neither as published nor as failed', async () => {
    const { client, calls } = fakeEventBridge([(entries) => ({ FailedEntryCount: 1, Entries: entries.slice(1).map((_, n) => ({ EventId: `id-${n}` })) })]);

    const failures = await putEventsReliably(client, numberedEntries(2), noDelay);

    expect(failures).toEqual([]);
    expect(numbersOf(calls)).toEqual([[0, 1], [1]]);
  });

  it('waits a bounded, jittered backoff between attempts and not before the first', async () => {
    const delays: number[] = [];
    const { client } = fakeEventBridge([], failWhere('ThrottlingException', () => true));

    await putEventsReliably(client, numberedEntries(1), { maxAttempts: 4, baseDelayMs: 100, sleep: async (ms) => void delays.push(ms) });

    expect(delays).toHaveLength(3);
    delays.forEach((delay, n) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(100 * 2 ** (n + 1));
    });
  });

  it('splits large entries over more calls so that no call exceeds 256 KB', async () => {
    const { client, calls } = fakeEventBridge();
    const entries = numberedEntries(5, 100 * 1024);

    const failures = await putEventsReliably(client, entries, noDelay);

    const callBytes = calls.map((call) => call.reduce((sum, entry) => sum + Buffer.byteLength(`${entry.Source}${entry.DetailType}${entry.Detail}`), 0));
    expect(failures).toEqual([]);
    expect(numbersOf(calls)).toEqual([[0, 1], [2, 3], [4]]);
    callBytes.forEach((bytes) => expect(bytes).toBeLessThanOrEqual(256 * 1024));
  });

  it('sends an entry just under 256 KB in a call of its own', async () => {
    const { client, calls } = fakeEventBridge();
    const entries = [...numberedEntries(1, 1024), ...numberedEntries(1, 255 * 1024).map((entry) => ({ ...entry, Detail: entry.Detail!.replace('"n":0', '"n":1') }))];

    await putEventsReliably(client, entries, noDelay);

    expect(numbersOf(calls)).toEqual([[0], [1]]);
  });
});
