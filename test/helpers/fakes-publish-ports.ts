import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { FailedEntry } from '#shared/publish-events';

/** What the fake publisher reports for one call; defaults to "everything published". */
export type PublishOutcome = (entries: PutEventsRequestEntry[]) => FailedEntry[];

export const failed = (index: number, errorCode: string, retryable: boolean): FailedEntry => ({
  index,
  errorCode,
  errorMessage: `fake ${errorCode}`,
  retryable,
});

/** The publish and dead-letter ports of the relay and the forwarder, recording every call. */
export function recordingPublisher(outcome: PublishOutcome = () => []) {
  const published: PutEventsRequestEntry[][] = [];
  const deadLettered: { payload: string; reason: string }[] = [];
  return {
    published,
    deadLettered,
    publish: async (entries: PutEventsRequestEntry[]): Promise<FailedEntry[]> => {
      published.push(entries);
      return outcome(entries);
    },
    deadLetter: async (payload: string, reason: string): Promise<void> => {
      deadLettered.push({ payload, reason });
    },
  };
}
