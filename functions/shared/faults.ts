import { AsyncLocalStorage } from 'node:async_hooks';
import { PutEventsCommand, type EventBridgeClient, type PutEventsCommandOutput, type PutEventsRequestEntry, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { MiddlewareStack } from '@smithy/types';
import { currentControls, faultInjectionDeployed, type FunctionFault, type FunctionFaultKind } from './controls';
import { logger } from './powertools';
import { sleep } from './retry';

/**
 * The fault injection points of the functions, driven by the region's control
 * document (controls.ts). Each point asks "does a fault of this kind apply to
 * this function, this event, this attempt?" and rolls the fault's rate. With
 * fault injection not deployed the document is always empty and every point
 * returns at once without an AWS call. See docs/faults.md.
 */

/** Thrown by an injected crash. Not a PoisonMessageError, so SQS retries it like any crash. */
export class InjectedFaultError extends Error {
  override readonly name = 'InjectedFaultError';
}

/** What an injection point knows about the work in progress. */
export interface FaultSite {
  /** The function's Powertools service name (`inventory`, `orders-relay`, `cross-region-forwarder`). */
  service: string;
  /** The consumer component (`inventory-consumer`), when inside one. */
  component?: string;
  eventType?: string;
  orderId?: string;
  /** 1 for a message's first receive or an entry's first PutEvents attempt. */
  attempt?: number;
}

/** Whether a fault names this function: its context, its service name or its component. */
export function targets(fault: FunctionFault, site: Pick<FaultSite, 'service' | 'component'>): boolean {
  const names = [site.service, site.component].filter((name): name is string => name !== undefined);
  return names.some((name) => name === fault.target || name.startsWith(`${fault.target}-`));
}

/** The first fault of `kind` that applies at `site` and whose rate the roll falls under, if any. */
export function firingFault(faults: readonly FunctionFault[], kind: FunctionFaultKind, site: FaultSite, random: () => number = Math.random): FunctionFault | undefined {
  for (const fault of faults) {
    if (fault.kind !== kind || !targets(fault, site)) continue;
    if (fault.eventType !== undefined && fault.eventType !== site.eventType) continue;
    if (fault.orderId !== undefined && fault.orderId !== site.orderId) continue;
    if (fault.attempts !== undefined && (site.attempt ?? 1) > fault.attempts) continue;
    if (fault.rate > 0 && random() < fault.rate) return fault;
  }
  return undefined;
}

/** Read when needed rather than at load, so tests can name the function they play. */
const serviceName = (): string => process.env.POWERTOOLS_SERVICE_NAME ?? 'unknown';
/** The message being handled by the current async flow (records of a batch run concurrently). */
const scope = new AsyncLocalStorage<Omit<FaultSite, 'service'>>();

/** Runs the handling of one message with what the injection points below it need to know. */
export function withFaultScope<T>(site: Omit<FaultSite, 'service'>, work: () => Promise<T>): Promise<T> {
  return scope.run(site, work);
}

const currentSite = (): FaultSite => ({ service: serviceName(), ...scope.getStore() });

function fired(faults: readonly FunctionFault[], kind: FunctionFaultKind, site: FaultSite, random?: () => number): FunctionFault | undefined {
  const fault = firingFault(faults, kind, site, random);
  if (fault) logger.warn('fault injected', { fault: kind, target: fault.target, correlationId: site.orderId, eventType: site.eventType, attempt: site.attempt });
  return fault;
}

async function fire(kind: FunctionFaultKind, site: FaultSite = currentSite()): Promise<FunctionFault | undefined> {
  const { faults } = await currentControls();
  return faults.length === 0 ? undefined : fired(faults, kind, site);
}

/**
 * Around a state commit (withCommitFaults below): `before` crashes before anything is
 * written; `after` crashes once the transaction has committed, before the
 * handler returns, so the message is not acknowledged and comes again: the
 * idempotency record is released by the failure and the conditional writes
 * must absorb the second run. Only inside a consumer's message (a scope).
 */
export async function commitFault(when: 'before' | 'after'): Promise<void> {
  if (!scope.getStore()) return;
  const kind = when === 'before' ? 'throw-before-commit' : 'throw-after-commit';
  if (await fire(kind)) throw new InjectedFaultError(`injected ${kind}`);
}

/**
 * Puts the commit fault points around every TransactWriteItems of a DynamoDB
 * client: every state change of a context commits in one (state rows and
 * outbox rows together), whichever repository issues it. Attached only with
 * fault injection deployed, so it costs nothing otherwise.
 */
export function withCommitFaults<T extends { middlewareStack: unknown }>(client: T): T {
  if (!faultInjectionDeployed()) return client;
  (client.middlewareStack as MiddlewareStack<object, object>).add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      await conflictFault((args.input as { TransactItems?: unknown[] }).TransactItems?.length ?? 1);
      await commitFault('before');
      const result = await next(args);
      await commitFault('after');
      return result;
    },
    { step: 'initialize', name: 'duckstoreCommitFaults' },
  );
  return client;
}

/**
 * Cancels a transaction as DynamoDB does when another transaction holds one of
 * its items (a hot SKU's stock row): TransactionConflict on the first item,
 * None on the others, nothing written. ministack runs one request at a time
 * and never reports a conflict, so this is how the local cloud sees one.
 * Rolled per attempt, so an in-process retry meets it again at the same rate.
 */
async function conflictFault(items: number): Promise<void> {
  if (!(await fire('transaction-conflict'))) return;
  throw new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict] (injected)',
    $metadata: {},
    CancellationReasons: Array.from({ length: items }, (_, index) => (index === 0 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item (injected)' } : { Code: 'None' })),
  });
}

/** Slows the handling of a message (before its handler runs). */
export async function delayFault(): Promise<void> {
  const fault = await fire('delay');
  if (fault) await sleep(fault.delayMs ?? 1_000);
}

/** Makes the idempotency store fail, as a throttled or unreachable table would. */
export async function idempotencyStoreFault(): Promise<void> {
  if (await fire('idempotency-store-unavailable')) throw new InjectedFaultError('injected idempotency-store-unavailable: the idempotency table did not answer');
}

/** The order and type of an entry, from its envelope, for fault filters. */
function entrySite(entry: PutEventsRequestEntry, attempt: number): FaultSite {
  try {
    const metadata = (JSON.parse(entry.Detail ?? '{}') as { metadata?: { type?: unknown; correlationId?: unknown } }).metadata;
    return {
      service: serviceName(),
      attempt,
      ...(typeof metadata?.type === 'string' ? { eventType: metadata.type } : {}),
      ...(typeof metadata?.correlationId === 'string' ? { orderId: metadata.correlationId } : {}),
    };
  } catch {
    return { service: serviceName(), attempt };
  }
}

/**
 * One PutEvents call (publish-events.ts), with the publishing faults:
 * `putevents-partial-failure` keeps an entry from EventBridge and reports it
 * as AWS does (FailedEntryCount, an InternalFailure entry, no exception);
 * `duplicate-publish` sends an entry a second time, as a publisher that lost
 * the answer of a successful call and retried would.
 */
export async function putEventsWithFaults(client: EventBridgeClient, entries: PutEventsRequestEntry[], attempt: number): Promise<PutEventsCommandOutput> {
  const { faults } = await currentControls();
  if (faults.length === 0) return client.send(new PutEventsCommand({ Entries: entries }));
  return putEventsUnderFaults(client, entries, attempt, faults);
}

/** The faulty PutEvents call itself, given the faults in force. */
export async function putEventsUnderFaults(
  client: Pick<EventBridgeClient, 'send'>,
  entries: PutEventsRequestEntry[],
  attempt: number,
  faults: readonly FunctionFault[],
  random: () => number = Math.random,
): Promise<PutEventsCommandOutput> {
  const failing = new Set<number>();
  const duplicated: PutEventsRequestEntry[] = [];
  for (const [index, entry] of entries.entries()) {
    const site = entrySite(entry, attempt);
    if (fired(faults, 'putevents-partial-failure', site, random)) failing.add(index);
    else if (fired(faults, 'duplicate-publish', site, random)) duplicated.push(entry);
  }
  const sent = entries.filter((_, index) => !failing.has(index));
  const response: PutEventsCommandOutput = sent.length > 0 ? await client.send(new PutEventsCommand({ Entries: sent })) : { $metadata: {}, Entries: [], FailedEntryCount: 0 };
  if (duplicated.length > 0) await client.send(new PutEventsCommand({ Entries: duplicated }));
  if (failing.size === 0) return response;

  const results = [...(response.Entries ?? [])];
  const merged: PutEventsResultEntry[] = entries.map((_, index) =>
    failing.has(index) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'injected putevents-partial-failure' } : (results.shift() ?? {}),
  );
  return { ...response, Entries: merged, FailedEntryCount: (response.FailedEntryCount ?? 0) + failing.size };
}
