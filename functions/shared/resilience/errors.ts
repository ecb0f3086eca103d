/**
 * Refusals of the resilience patterns themselves. Each means "not now", never
 * "no": the caller keeps the work (an SQS message goes back to its queue) and
 * comes back later. None of them is a verdict of the remote service.
 */
export class ResilienceRefusalError extends Error {}

/** The circuit breaker is open (or half-open with every trial slot taken): the call was not made. */
export class CircuitOpenError extends ResilienceRefusalError {
  override readonly name = 'CircuitOpenError';
  constructor(
    readonly breaker: string,
    /** When the breaker lets a trial call through at the earliest. */
    readonly retryAt: number,
  ) {
    super(`circuit breaker ${breaker} is open: call refused without trying`);
  }
}

/** The dependency's breaker shared by every execution environment is open (another environment saw it fail): the call was not made. */
export class SharedCircuitOpenError extends ResilienceRefusalError {
  override readonly name = 'SharedCircuitOpenError';
  constructor(
    readonly breaker: string,
    message: string,
  ) {
    super(message);
  }
}

/** The bulkhead had no free slot within the wait allowed: the call was not made. */
export class BulkheadFullError extends ResilienceRefusalError {
  override readonly name = 'BulkheadFullError';
  constructor(readonly bulkhead: string, reason: string) {
    super(`bulkhead ${bulkhead} is full: ${reason}`);
  }
}

/** The overall deadline left no time for (another) attempt. */
export class DeadlineExceededError extends ResilienceRefusalError {
  override readonly name = 'DeadlineExceededError';
}

/** One attempt ran out of its per-call time. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`call timed out after ${timeoutMs} ms`);
  }
}
