import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { putEventsWithFaults } from './faults';
import { logger } from './powertools';
import { backoffDelayMs, sleep } from './retry';

/** PutEvents accepts at most 10 entries and 256 KB per call. */
const maxEntriesPerCall = 10;
const maxBytesPerCall = 256 * 1024;

/**
 * Entry error codes AWS documents as not retryable. Everything else
 * (ThrottlingException, InternalFailure, codes we do not know) is retried:
 * retrying a permanent failure costs a few calls, dead-lettering a transient
 * one costs an operator's time.
 */
const permanentErrorCodes = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'AccessDeniedException',
  'InvalidAccountIdException',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'RedactionFailure',
]);

export interface FailedEntry {
  /** Index into the entries given to `putEventsReliably`. */
  index: number;
  errorCode: string;
  errorMessage: string;
  retryable: boolean;
}

export interface PublishOptions {
  /** Attempts per entry, including the first. */
  maxAttempts?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

function entrySize(entry: PutEventsRequestEntry): number {
  // The size EventBridge counts: source, detail type, detail, resources and time.
  return Buffer.byteLength(`${entry.Source ?? ''}${entry.DetailType ?? ''}${entry.Detail ?? ''}`) + 14;
}

function chunk(indices: number[], entries: PutEventsRequestEntry[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of indices) {
    const size = entrySize(entries[index]!);
    if (current.length === maxEntriesPerCall || (current.length > 0 && bytes + size > maxBytesPerCall)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Publishes entries in calls of at most 10, and retries only the entries that
 * failed. `PutEvents` reports per-entry failures in `FailedEntryCount` and
 * `Entries[].ErrorCode` instead of throwing, so a caller that checks only for
 * an exception loses events. Returns what still failed after the last attempt.
 */
export async function putEventsReliably(
  client: EventBridgeClient,
  entries: PutEventsRequestEntry[],
  options: PublishOptions = {},
): Promise<FailedEntry[]> {
  const { maxAttempts = 4, baseDelayMs = 100, sleep: wait = sleep } = options;
  let pending = entries.map((_, index) => index);
  const failures = new Map<number, FailedEntry>();

  for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 0) await wait(backoffDelayMs(attempt, baseDelayMs, 2_000));
    const retry: number[] = [];
    for (const indices of chunk(pending, entries)) {
      try {
        // The one PutEvents call; with fault injection deployed it can fail entries or publish them twice (docs/faults.md).
        const response = await putEventsWithFaults(client, indices.map((index) => entries[index]!), attempt + 1);
        if (!response.FailedEntryCount) {
          indices.forEach((index) => failures.delete(index));
          continue;
        }
        indices.forEach((index, position) => {
          const result = response.Entries?.[position];
          if (result?.EventId && !result.ErrorCode) {
            failures.delete(index);
            return;
          }
          const errorCode = result?.ErrorCode ?? 'MissingEntryResult';
          const failure = { index, errorCode, errorMessage: result?.ErrorMessage ?? '', retryable: !permanentErrorCodes.has(errorCode) };
          failures.set(index, failure);
          if (failure.retryable) retry.push(index);
        });
      } catch (error) {
        // The whole call failed (network, throttling of the API itself): every entry in it is retryable.
        const { name, message } = error as Error;
        indices.forEach((index) => failures.set(index, { index, errorCode: name, errorMessage: message, retryable: true }));
        retry.push(...indices);
      }
    }
    if (retry.length > 0) logger.warn('PutEvents entries failed', { attempt: attempt + 1, failed: retry.length, of: entries.length });
    pending = retry;
  }
  return [...failures.values()].sort((a, b) => a.index - b.index);
}
