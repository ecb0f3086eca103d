/**
 * A model-based test of the whole saga (issue 13): "prove interleavings, not examples".
 *
 * What runs is the real code of every context: orders (placeOrder,
 * applySagaEvent, armDeadline, sweepOverdueOrders), inventory
 * (applyOrderEvent), payments (authorizePayment, cancelPayment, over the REAL
 * provider simulator's use cases and ledger), notifications (notifyCustomer),
 * and at the end the REAL auditor. Around it, test/helpers/saga-model models
 * what AWS does, and fast-check generates command sequences over it:
 * - POST /orders, and a retried POST with the same Idempotency-Key;
 * - one SQS queue per consumer: at-least-once (a delivery may leave a copy),
 *   any order (any visible message may go next), failed receives come back
 *   after the real redelivery backoff, and land in the DLQ after 5 receives;
 *   consumers are idempotent on the envelope eventId as Powertools makes them
 *   (a completed eventId is skipped, a failed one leaves no record, one in
 *   progress makes a concurrent copy fail); a consumer may crash after its
 *   commit (the message comes back), or fail before running;
 * - two deliveries at once (their awaits interleave);
 * - outbox rows become events on their region's bus, in commit order, and are
 *   archived; payments lives in the other region, behind forwarding queues
 *   that a partition holds back (then DLQs);
 * - the provider: outages (the request leaves, nothing happens), an answer
 *   lost after the provider acted, at once or up to 4.9 s later (less than the
 *   saga deadline margin), and its key retention passing;
 * - the deadline timer (OrderTimedOut at the deadline, straight to the orders
 *   queue) and the sweep once a minute, on a virtual clock that only the
 *   commands move;
 * - operators: redrive every DLQ (same eventId, fresh receive count) and
 *   replay both archives in full.
 * After the commands, every fault heals and the world quiesces (queues
 * drained, DLQs redriven, the clock past every deadline and the sweep's grace);
 * then every invariant must hold, and, checked on the ledger directly, no
 * authorization was created at or after its order's cancellation or after its
 * deadline, and no cancelled order holds money.
 *
 * What it does not cover, honestly: the adapters (DynamoDB conditions are the
 * in-memory fakes' reading of them, the HTTP provider client and its
 * resilience layer are replaced by one in-process call), poison messages
 * (every generated event is valid), clock skew between hosts (one clock), an
 * outbox relay that lags or fails (rows are published as soon as they commit),
 * timer or sweep failures, the idempotency records' TTL, a notifier outage,
 * payload limits and throttling, and two intakes (one region runs orders).
 * Deliveries are atomic except in deliverConcurrently, so races inside a use
 * case are only explored between two deliveries started together.
 *
 * FC_SEED and FC_NUM_RUNS replay or widen a run; fast-check prints the seed,
 * path and shrunk command sequence of any failure.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { saga, sagaCommands } from '../../helpers/saga-model/commands';
import { assertSettlesSafely, runCommands } from '../../helpers/saga-model/run';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

describe('the saga under any interleaving of deliveries, faults and recoveries', () => {
  it('settles with every invariant true and no money moved for a cancelled order', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(sagaCommands(40), async (commands) => {
        await assertSettlesSafely(await runCommands(commands));
      }),
      { numRuns, ...(seed === undefined ? {} : { seed }) },
    );
  });

  it('regression #13-1: a redrive after the cancellation never authorizes', async () => {
    const world = await runCommands([
      saga.place([{ sku: 'DUCK-CLASSIC', quantity: 1 }]),
      saga.deliver('inventory'),
      saga.deliver('arming'),
      saga.deliver('forward-primary'),
      // The request leaves (payments notes the attempt) and fails: InventoryReserved retries, then goes to the DLQ.
      saga.providerOutage(true),
      saga.deliver('payments'),
      saga.advance(2),
      saga.deliver('payments'),
      saga.advance(6),
      saga.deliver('payments'),
      saga.advance(24),
      saga.deliver('payments'),
      // The deadline timer fires and the order is cancelled; payments records the cancellation.
      saga.advance(30),
      saga.deliver('orders'),
      saga.deliver('forward-primary'),
      saga.deliver('payments'),
      saga.advance(60),
      saga.deliver('payments'),
      saga.providerOutage(false),
      saga.redriveDlqs(),
      saga.deliver('payments'),
    ]);
    await assertSettlesSafely(world);
  });
});
