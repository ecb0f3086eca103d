import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { subscriptions } from '#contracts/subscriptions';
import { optionalWholeNumber, requireEnv } from '#shared/config';
import { isProbeInvocation, type ProbeInvocation } from '#shared/consumer-mapping';
import type { ProbeRound } from '#shared/resilience/shared-breaker';
import { currentControls } from '#shared/controls';
import { eventConsumer } from '#shared/event-consumer';
import { logger } from '#shared/powertools';
import { sagaDeadlineMarginMs } from '#shared/saga-deadline';
import { systemClock } from '#shared/resilience/clock';
import { Deadline } from '#shared/resilience/deadline';
import { activeResilienceProfile } from '#shared/resilience/profiles';
import type { RedeliveryBackoff } from '#shared/resilience/redelivery-backoff';
import { resilientCaller } from '#shared/resilience/resilient-call';
import { observedResilience } from '#shared/resilience/telemetry';
import { dependencyBreakerOf } from '#shared/dependency-breaker';
import { cachedSecret } from '#shared/secret';
import { dynamoDbPaymentRepository } from '../adapters/dynamodb-payment-repository';
import { httpPaymentProvider, probeProvider, type ProviderCallPolicy } from '../adapters/http-payment-provider';
import { ProviderUnavailableError } from '../domain/ports';
import { authorizePayment, cancelPayment, defaultPaymentPolicy } from '../domain/use-cases';

const clock = { now: () => new Date() };
const callTimeoutMs = optionalWholeNumber('PROVIDER_TIMEOUT_MS', 3000, { unit: 'milliseconds', positive: true });
/** Time kept back from the invocation for what follows the provider's answer: the payment row, the outbox row, the idempotency record. */
const writeMarginMs = optionalWholeNumber('PROVIDER_DEADLINE_MARGIN_MS', 1500, { unit: 'milliseconds' });

const providerUrl = requireEnv('PROVIDER_URL');
/** Only the secret's ARN is in the environment; the value is read (and re-read after a 401) with Powertools Parameters. */
const merchantSecret = cachedSecret(requireEnv('PROVIDER_SECRET_ARN'));

/**
 * The provider's breaker shared by every execution environment, with the
 * pause of this consumer's mapping that goes with it (docs/resilience.md,
 * "Pause, don't burn"); absent where the stack deploys none.
 */
const shared = dependencyBreakerOf('payment-provider', { probe: () => probeProvider(providerUrl, callTimeoutMs, merchantSecret) });
/** 1–2 s: back right after the resume (if the pause failed, a few wasted receives, and the last one requeues fresh). */
const pausedRedelivery: RedeliveryBackoff = { firstSeconds: 2, maxSeconds: 2 };

// One breaker and one bulkhead per execution environment, shared by every record and invocation it serves. The first
// environment whose breaker opens opens the shared one (and so pauses the consumer).
const caller = resilientCaller('payment-provider', {
  clock: systemClock,
  // Another environment's opening stops this one's calls within a second, not after five failures of its own.
  ...(shared ? { sharedRefusal: () => shared.refusal() } : {}),
  hooks: {
    ...observedResilience,
    onTransition(transition) {
      observedResilience.onTransition?.(transition);
      // Every opening, not only the first from closed: a trip that failed (DynamoDB, the Lambda API) is tried again.
      if (shared && transition.to === 'open') shared.trip(transition.reason);
    },
  },
});
/** What the last invocation ran with, so that a switch is logged once, not per invocation. */
let lastActive: string | undefined;
/** Set at the start of each invocation (an environment runs one at a time); read by every provider call in it. */
let policy: ProviderCallPolicy = {
  settings: activeResilienceProfile(undefined, { callTimeoutMs }),
  deadline: Deadline.none(systemClock),
  sendIdempotencyKeys: true,
};

const ports = {
  payments: dynamoDbPaymentRepository(requireEnv('TABLE_NAME'), { region: requireEnv('AWS_REGION'), now: clock.now }),
  provider: httpPaymentProvider({ baseUrl: providerUrl, timeoutMs: callTimeoutMs, merchantSecret, resilience: { caller, current: () => policy } }),
  clock,
  policy: {
    sagaDeadlineMarginMs: sagaDeadlineMarginMs(),
    providerKeyRetentionMs: optionalWholeNumber('PROVIDER_KEY_RETENTION_SECONDS', defaultPaymentPolicy.providerKeyRetentionMs / 1000, { unit: 'seconds', positive: true }) * 1000,
  },
};

const consume = eventConsumer(subscriptions.payments, {
  component: 'payments-consumer',
  handlers: {
    InventoryReserved: (event) => authorizePayment(event, ports),
    OrderCancelled: (event) => cancelPayment(event, ports),
  },
  queueUrl: requireEnv('QUEUE_URL'),
  deadLetterQueueUrl: requireEnv('DEAD_LETTER_QUEUE_URL'),
  idempotencyTableName: requireEnv('IDEMPOTENCY_TABLE_NAME'),
  redeliveryBackoff,
  // A provider that could not answer (down, slow, or the breaker refusing for it) is never a reason to park an order in the DLQ.
  isDependencyOutage: (error) => error instanceof ProviderUnavailableError,
  maxReceiveCount: optionalWholeNumber('MAX_RECEIVE_COUNT', 5, { unit: 'receives', positive: true }),
  ...(shared ? { shouldDefer: () => shared.deferral((reason) => caller.resetBreakers(reason)) } : {}),
});

/**
 * The outer retry of a failed payment (functions/shared/redelivery.ts), as the
 * profile in force says, so that the experiment's "none" is the plain
 * visibility timeout. While this environment's breaker is open, not before it
 * half-opens: sooner, the message would only be refused again. But once the
 * shared breaker is known open, the consumer's mapping is paused: the pause
 * is the wait, and a message that is visible is still not received (no
 * receive counted) until the resume. A short visibility then lets the
 * messages of the outage's first seconds come back with the resume, instead
 * of up to a minute later (seen: queues empty 20 s after the heal at the
 * 300 s deadline, most of it records still invisible from their backoff).
 */
function redeliveryBackoff(): RedeliveryBackoff | undefined {
  const { redelivery } = policy.settings;
  if (!redelivery) return undefined;
  if (shared?.knownOpen()) return pausedRedelivery;
  const openForMs = caller.breakerOpenForMs(policy.settings);
  return openForMs > 0 ? { ...redelivery, notBeforeSeconds: openForMs / 1000 } : redelivery;
}

/**
 * Charges reserved orders and gives the money back when they are cancelled.
 * Each invocation first reads the resilience profile from the control
 * document (cached ~2 s; none deployed: the production default) and sets the
 * overall deadline of its provider calls: the invocation's end minus the
 * time the writes after the answer need.
 */
export async function handler(event: SQSEvent | ProbeInvocation, context: Context): Promise<SQSBatchResponse | ProbeRound> {
  if (isProbeInvocation(event)) {
    if (!shared) throw new Error('a probe invocation reached a payments consumer deployed without a shared breaker');
    return shared.probeRound(context, event.duckstoreProbe.fromChain);
  }
  const controls = await currentControls();
  const settings = activeResilienceProfile(controls.resilienceProfile, {
    callTimeoutMs,
    onInvalid: (error) => logger.warn('resilience profile ignored: using the default', { error: error.message }),
  });
  const invocationEnd = typeof context?.getRemainingTimeInMillis === 'function' ? systemClock.now() + context.getRemainingTimeInMillis() - writeMarginMs : undefined;
  policy = { settings, deadline: Deadline.earliest(systemClock, invocationEnd), sendIdempotencyKeys: controls.providerIdempotency !== false };
  const active = `${controls.resilienceProfile ?? 'default'}/${policy.sendIdempotencyKeys}`;
  if (active !== lastActive) logger.info('resilience profile in force', { profile: settings.profile, requested: controls.resilienceProfile, providerIdempotency: policy.sendIdempotencyKeys });
  lastActive = active;
  try {
    return await consume(event, context);
  } catch (error) {
    // Every record failed (a provider outage, an open breaker): report them all rather than fail the invocation. SQS does
    // the same with the messages either way, but an execution environment whose invocation fails may be replaced, and
    // with it the breaker that just learnt the provider is down (ministack does replace it; see docs/resilience.md).
    if (error instanceof FullBatchFailureError) return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    throw error;
  } finally {
    // A trip started by a breaker that opened during this batch finishes before the environment is frozen.
    await shared?.settled();
  }
}
