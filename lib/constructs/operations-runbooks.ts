import type { IConstruct } from 'constructs';

/**
 * The runbooks alarms link to (markdown in the repository's runbooks/
 * folder). One place, so an alarm description and the infra test that checks
 * it name the same files; a test asserts every file exists.
 */
export const runbooks = {
  consumerDeadLetters: 'runbooks/consumer-dead-letters.md',
  outboxRelay: 'runbooks/outbox-relay.md',
  crossRegionForwarding: 'runbooks/cross-region-forwarding.md',
  scheduledJobs: 'runbooks/scheduled-jobs.md',
  consumerErrors: 'runbooks/consumer-errors.md',
  paymentProviderOutage: 'runbooks/payment-provider-outage.md',
  invariantViolations: 'runbooks/invariant-violations.md',
} as const;

/** Where runbooks are read: the repository path, or a URL prefix given with `duckstore:runbookBaseUrl`. */
export function runbookLink(path: string, baseUrl?: string): string {
  return baseUrl ? `${baseUrl.replace(/\/$/, '')}/${path}` : path;
}

/** The sentence every alarm description ends with. */
export const runbookSentence = (path: string): string => `Runbook: ${path}`;

/** The runbook of a DLQ, by what it is the DLQ of. */
export function runbookOfDeadLetterQueue(dlq: IConstruct): string {
  const path = dlq.node.path;
  if (/\/ForwardTo[^/]*\//.test(path)) return runbooks.crossRegionForwarding;
  if (/\/Relay\//.test(path)) return runbooks.outboxRelay;
  if (/(Sweeper|Schedule)DeadLetters$/.test(path)) return runbooks.scheduledJobs;
  return runbooks.consumerDeadLetters;
}
