/**
 * The metric of the invariant auditor: the contract between the scheduled
 * function that publishes it (embedded metric format) and the CDK alarm that
 * watches it, as `outbox.ts` is for the relay. The namespace and service are
 * also what the function's POWERTOOLS_* environment is set to.
 */
export const invariantMetrics = {
  namespace: 'DuckStore',
  /** Findings of the latest audit; 0 when every invariant holds. Also published per failed invariant (dimension `invariant`). */
  violations: 'InvariantViolations',
  /** Authorizations of cancelled orders that were refunded, as of the latest audit: compensated, but each was a hold on a card. */
  authorizeThenRefund: 'AuthorizeThenRefund',
  /** The Powertools service, hence the metric's `service` dimension. */
  serviceName: 'invariant-auditor',
} as const;
