import type { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry, PutEventsResponse } from '@aws-sdk/client-eventbridge';

/** How the fake answers one PutEvents call: a response, or a thrown error for a failed call. */
export type Reply = (entries: PutEventsRequestEntry[]) => PutEventsResponse;

let nextEventId = 0;
const accepted = (): { EventId: string } => ({ EventId: `fake-event-${++nextEventId}` });

export const acceptAll: Reply = (entries) => ({ FailedEntryCount: 0, Entries: entries.map(accepted) });

/** Fails the entries the predicate picks with the given code; accepts the others. */
export const failWhere =
  (errorCode: string, fails: (entry: PutEventsRequestEntry) => boolean): Reply =>
  (entries) => {
    const results = entries.map((entry) => (fails(entry) ? { ErrorCode: errorCode, ErrorMessage: `fake ${errorCode}` } : accepted()));
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  };

export const throwing =
  (name: string, message = 'socket hang up'): Reply =>
  () => {
    const error = new Error(message);
    error.name = name;
    throw error;
  };

/**
 * An EventBridgeClient whose `send` records every PutEvents input and answers
 * the scripted replies in order, then `otherwise` for every further call.
 */
export function fakeEventBridge(script: Reply[] = [], otherwise: Reply = acceptAll) {
  const calls: PutEventsRequestEntry[][] = [];
  const remaining = [...script];
  const client = {
    send: async (command: PutEventsCommand): Promise<PutEventsResponse> => {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      return (remaining.shift() ?? otherwise)(entries);
    },
  } as unknown as EventBridgeClient;
  return { client, calls };
}

/** Entries that identify themselves by their Detail, so a test can tell which were sent in which call. */
export const numberedEntries = (count: number, detailBytes = 0): PutEventsRequestEntry[] =>
  Array.from({ length: count }, (_, n) => ({
    EventBusName: 'duckstore-bus',
    Source: 'duckstore.orders',
    DetailType: 'OrderPlaced',
    Detail: JSON.stringify({ n, padding: 'x'.repeat(detailBytes) }),
  }));

export const entryNumber = (entry: PutEventsRequestEntry): number => (JSON.parse(entry.Detail ?? '{}') as { n: number }).n;
