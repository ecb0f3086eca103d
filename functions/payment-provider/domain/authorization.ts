export const authorizationStatuses = ['AUTHORIZED', 'DECLINED', 'REFUNDED'] as const;
export type AuthorizationStatus = (typeof authorizationStatuses)[number];

/** `DO_NOT_HONOR`: the card network's generic decline, given by the decline-rate fault whatever the amount. */
export type DeclineReason = 'LIMIT_EXCEEDED' | 'DO_NOT_HONOR';

/** $1000: a few Solid gold ducks are enough to see a decline end to end. */
export const defaultDeclineAboveCents = 100_000;

export interface AuthorizationRequest {
  orderId: string;
  amountCents: number;
  currency: 'USD';
  customerId?: string;
}

/** One ledger row per Idempotency-Key. A declined attempt gets an id too, so it can be looked up like any other. */
export interface LedgerRow {
  kind: 'authorization';
  idempotencyKey: string;
  orderId: string;
  amountCents: number;
  currency: 'USD';
  customerId?: string;
  status: AuthorizationStatus;
  authorizationId: string;
  declineReason?: DeclineReason;
  createdAt: string;
  refundedAt?: string;
  refundIdempotencyKey?: string;
  /**
   * The provider no longer remembers the key of this row (it outlived the key
   * retention): the row is kept for the books, and the key is free, so a new
   * request under it is a new charge. Real providers behave so (Stripe: 24 h).
   */
  keyForgotten?: true;
}

/** How long the simulator remembers an Idempotency-Key, as Stripe does: 24 h. */
export const defaultKeyRetentionSeconds = 24 * 3600;

/** Where the ledger keeps a row: under its key while remembered, beside it once forgotten (a new row may take the key). */
export const ledgerStorageKey = (row: Pick<LedgerRow, 'idempotencyKey' | 'authorizationId' | 'keyForgotten'>): string =>
  row.keyForgotten ? `${row.idempotencyKey}#forgotten#${row.authorizationId}` : row.idempotencyKey;

/** True when the key of `row` is older than the retention: the provider treats the key as never seen. */
export const keyExpired = (row: LedgerRow, now: Date, retentionSeconds: number): boolean => now.getTime() - Date.parse(row.createdAt) >= retentionSeconds * 1000;

export type AuthorizationDecision =
  | { kind: 'create'; row: LedgerRow }
  /** The key was seen with the same request: answer as the first time, charge nothing. */
  | { kind: 'replay'; row: LedgerRow }
  /** The key was seen with another request: answering either way would be a guess. */
  | { kind: 'key-reused'; row: LedgerRow };

/** What a replay answers: the outcome of the first request, even if the authorization was refunded since (as Stripe replays the saved response). */
export type AuthorizationOutcome = { status: 'AUTHORIZED'; authorizationId: string } | { status: 'DECLINED'; authorizationId: string; reason: DeclineReason };

export function outcomeOf(row: LedgerRow): AuthorizationOutcome {
  return row.status === 'DECLINED'
    ? { status: 'DECLINED', authorizationId: row.authorizationId, reason: row.declineReason ?? 'LIMIT_EXCEEDED' }
    : { status: 'AUTHORIZED', authorizationId: row.authorizationId };
}

export function isSameRequest(row: LedgerRow, request: AuthorizationRequest): boolean {
  return (
    row.orderId === request.orderId &&
    row.amountCents === request.amountCents &&
    row.currency === request.currency &&
    (row.customerId ?? null) === (request.customerId ?? null)
  );
}

/**
 * The simulated card: one ledger row per Idempotency-Key, declined above a
 * limit. A retry with the same key never charges twice; a key reused for a
 * different request is refused rather than guessed at.
 */
export function decideAuthorization(
  request: AuthorizationRequest,
  existing: LedgerRow | undefined,
  context: { idempotencyKey: string; authorizationId: string; declineAboveCents: number; now: Date; forceDecline?: boolean },
): AuthorizationDecision {
  if (existing) return isSameRequest(existing, request) ? { kind: 'replay', row: existing } : { kind: 'key-reused', row: existing };
  const overLimit = request.amountCents > context.declineAboveCents;
  const declined = overLimit || context.forceDecline === true;
  return {
    kind: 'create',
    row: {
      kind: 'authorization',
      idempotencyKey: context.idempotencyKey,
      orderId: request.orderId,
      amountCents: request.amountCents,
      currency: request.currency,
      ...(request.customerId === undefined ? {} : { customerId: request.customerId }),
      status: declined ? 'DECLINED' : 'AUTHORIZED',
      authorizationId: context.authorizationId,
      ...(declined ? { declineReason: overLimit ? ('LIMIT_EXCEEDED' as const) : ('DO_NOT_HONOR' as const) } : {}),
      createdAt: context.now.toISOString(),
    },
  };
}

export type RefundDecision =
  | { kind: 'refund'; row: LedgerRow }
  /** Already refunded: a refund is a state, not an action, so asking twice answers the same. */
  | { kind: 'replay'; row: LedgerRow }
  | { kind: 'unknown' }
  | { kind: 'not-refundable'; row: LedgerRow; why: string };

export function decideRefund(row: LedgerRow | undefined, context: { idempotencyKey: string; now: Date }): RefundDecision {
  if (!row) return { kind: 'unknown' };
  switch (row.status) {
    case 'REFUNDED':
      return { kind: 'replay', row };
    case 'DECLINED':
      return { kind: 'not-refundable', row, why: 'the authorization was declined; nothing was charged' };
    case 'AUTHORIZED':
      return { kind: 'refund', row: { ...row, status: 'REFUNDED', refundedAt: context.now.toISOString(), refundIdempotencyKey: context.idempotencyKey } };
  }
}
