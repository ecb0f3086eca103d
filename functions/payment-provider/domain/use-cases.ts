import { randomUUID } from 'node:crypto';
import { decideAuthorization, decideRefund, defaultKeyRetentionSeconds, keyExpired, type AuthorizationDecision, type AuthorizationRequest, type LedgerRow } from './authorization';
import type { ProviderFaults } from '#contracts/controls';
import type { CallCounter, Clock, Ledger, LedgerPage } from './ports';

export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(readonly row: LedgerRow) {
    super(`this Idempotency-Key was already used for order ${row.orderId} (${row.amountCents} ${row.currency}) with a different request`);
  }
}

export class UnknownAuthorizationError extends Error {
  override readonly name = 'UnknownAuthorizationError';
  constructor(authorizationId: string) {
    super(`no authorization ${authorizationId}`);
  }
}

export class NotRefundableError extends Error {
  override readonly name = 'NotRefundableError';
  constructor(readonly row: LedgerRow, why: string) {
    super(`authorization ${row.authorizationId} cannot be refunded: ${why}`);
  }
}

export interface ProviderPorts {
  ledger: Ledger;
  clock: Clock;
  declineAboveCents: number;
  newId?: () => string;
  /** Counts each authorization and refund request before anything else happens to it. @default none */
  calls?: CallCounter;
  /** The operator's fault settings, read per request (docs/faults.md). @default none: no faults */
  faults?: () => Promise<ProviderFaults>;
  /** Decline this request's authorization whatever its amount (the decline-rate fault). @default false */
  forceDecline?: boolean;
  /** How long an Idempotency-Key is remembered; after that a request under it is new. @default defaultKeyRetentionSeconds (24 h) */
  keyRetentionSeconds?: number;
}

export interface Authorized {
  row: LedgerRow;
  /** True when the key had been seen with the same request and nothing new was charged. */
  replayed: boolean;
}

/** Answers for a key the ledger already holds. */
function replay(decision: AuthorizationDecision): Authorized {
  if (decision.kind === 'key-reused') throw new IdempotencyKeyReusedError(decision.row);
  return { row: decision.row, replayed: true };
}

/**
 * Primary course:
 * 1. Look the Idempotency-Key up in the ledger: unseen.
 * 2. Authorize or decline by amount, and write the row on condition that the key is still unseen.
 * Alternatives: a seen key with the same request replays the first outcome;
 * with another request it is refused. A key older than the retention is
 * forgotten first, so the request is new (this is what makes a merchant's
 * retry after the retention dangerous). Two concurrent requests with one key
 * both reach step 2; the loser re-reads the winner's row and answers with it,
 * so the ledger never holds two charges for one key.
 */
export async function authorize(request: AuthorizationRequest, idempotencyKey: string, ports: ProviderPorts): Promise<Authorized> {
  const context = {
    idempotencyKey,
    authorizationId: `auth_${(ports.newId ?? randomUUID)()}`,
    declineAboveCents: ports.declineAboveCents,
    now: ports.clock.now(),
    ...(ports.forceDecline ? { forceDecline: true } : {}),
  };
  let existing = await ports.ledger.get(idempotencyKey);
  // A key older than the retention is forgotten, as a real provider forgets it: this request is a new one, and may charge again.
  if (existing && keyExpired(existing, context.now, ports.keyRetentionSeconds ?? defaultKeyRetentionSeconds)) {
    await ports.ledger.forgetKey(existing);
    existing = await ports.ledger.get(idempotencyKey);
  }
  const decision = decideAuthorization(request, existing, context);
  if (decision.kind !== 'create') return replay(decision);
  if (await ports.ledger.create(decision.row)) return { row: decision.row, replayed: false };

  const winner = await ports.ledger.get(idempotencyKey);
  if (!winner) throw new Error(`ledger refused the row of key ${idempotencyKey} but holds none`);
  return replay(decideAuthorization(request, winner, context));
}

/**
 * Refunds an authorization in full. Refunding is keyed by the authorization,
 * so a retry (whatever its Idempotency-Key) finds it REFUNDED and answers the same.
 */
export async function refund(authorizationId: string, idempotencyKey: string, ports: Pick<ProviderPorts, 'ledger' | 'clock'>): Promise<Authorized> {
  // A second pass covers a concurrent refund that won the conditional write: the row is then REFUNDED.
  for (let attempt = 0; attempt < 2; attempt++) {
    const decision = decideRefund(await ports.ledger.findByAuthorizationId(authorizationId), { idempotencyKey, now: ports.clock.now() });
    switch (decision.kind) {
      case 'unknown':
        throw new UnknownAuthorizationError(authorizationId);
      case 'not-refundable':
        throw new NotRefundableError(decision.row, decision.why);
      case 'replay':
        return { row: decision.row, replayed: true };
      case 'refund':
        if (await ports.ledger.markRefunded(decision.row)) return { row: decision.row, replayed: false };
    }
  }
  throw new Error(`authorization ${authorizationId} changed twice during its refund`);
}

export async function getAuthorization(authorizationId: string, ports: Pick<ProviderPorts, 'ledger'>): Promise<LedgerRow> {
  const row = await ports.ledger.findByAuthorizationId(authorizationId);
  if (!row) throw new UnknownAuthorizationError(authorizationId);
  return row;
}

export function listLedger(orderId: string, page: { limit: number; cursor?: string }, ports: Pick<ProviderPorts, 'ledger'>): Promise<LedgerPage> {
  return ports.ledger.listByOrder(orderId, page);
}
