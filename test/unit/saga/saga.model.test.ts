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
 * - the provider: outages (the request leaves and fails, or an open breaker
 *   sends nothing), an answer lost after the provider acted, at once or
 *   later, its clock up to 1 s off the system's (lag plus skew stay under the
 *   saga deadline margin, the bound the design assumes), and its key
 *   retention passing;
 * - the notification channel down (a claim left SENDING is sent again), and
 *   the scheduler down (arming retries; a clear after a terminal move fails);
 * - the deadline timer (OrderTimedOut at the deadline, straight to the orders
 *   queue) and the sweep once a minute, on a virtual clock that only the
 *   commands move, some of them to just before or after an order's deadline
 *   or its deadline minus the margin, where timing bugs live;
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
 * (every generated event is valid), skew between the system's own hosts (only
 * the provider's clock is off), provider lag or skew beyond the margin, an
 * outbox relay that lags or fails (rows are published as soon as they commit),
 * a timer lost after it was set or a sweep that fails, the idempotency records' TTL, a crash between a
 * notification's send and its SENT mark (the one duplicate the design
 * accepts; the auditor counts rows, not messages), payload limits and throttling, and two intakes (one region runs orders).
 * Deliveries are atomic except in deliverConcurrently, so races inside a use
 * case are only explored between two deliveries started together.
 *
 * A fault still on when the commands end lasts five more minutes of running
 * before it heals, so a long outage ends in the DLQs and the redrive path
 * runs; "a dependency outage parks nothing in a DLQ" is therefore not asserted.
 *
 * FC_SEED and FC_NUM_RUNS replay or widen a run; fast-check prints the seed,
 * path and shrunk command sequence of any failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadlinePassedDeclineReason } from '#contracts/events';
import { defaultSagaDeadlineMarginMs } from '#shared/saga-deadline';
import { saga, sagaCommands, type SagaCommand } from '../../helpers/saga-model/commands';
import { assertSettlesSafely, auditWorld, runCommands } from '../../helpers/saga-model/run';
import { moneyHarm } from '../../helpers/saga-model/snapshot';
import { SagaWorld } from '../../helpers/saga-model/world';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 2000);
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

/** What a settled run ended with, to check that the runs together reached every ending and every fault path. */
function endings(world: SagaWorld): string[] {
  return [
    ...[...world.orders.orders.values()].map((order) => `order ${order.status} ${order.cancellationReason ?? ''}`.trim()),
    ...[...world.payments.rows.values()].map((payment) => `payment ${payment.status}${payment.status === 'DECLINED' ? ` ${payment.declineReason}` : ''}`),
    ...[...world.simulator.ledger.rows.values()].map((row) => `ledger ${row.status}${row.keyForgotten ? ' key forgotten' : ''}`),
    ...Object.entries(world.reached).flatMap(([what, count]) => (count > 0 ? [`reached ${what}`] : [])),
  ];
}

/** A command holds no state, so one instance serves every sequence. */
const placeOneDuck = saga.place([{ sku: 'DUCK-CLASSIC', quantity: 1 }]);

describe('the saga under any interleaving of deliveries, faults and recoveries', () => {
  it('settles with every invariant true and no money moved for a cancelled order', { timeout: Math.max(120_000, numRuns * 120) }, async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(sagaCommands(50), fc.array(fc.nat({ max: 7 }), { maxLength: 16 }), async (commands, drainOrder) => {
        const world = await runCommands(commands, drainOrder);
        await assertSettlesSafely(world);
        for (const ending of endings(world)) seen.add(ending);
      }),
      { numRuns, ...(seed === undefined ? {} : { seed }) },
    );
    // The property means little unless the runs, together, went through every ending and every fault.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'order CONFIRMED',
        'order CANCELLED OUT_OF_STOCK',
        'order CANCELLED PAYMENT_DECLINED',
        'order CANCELLED SAGA_DEADLINE',
        'payment AUTHORIZED',
        'payment CANCELLED',
        'payment REFUNDED',
        `payment DECLINED ${deadlinePassedDeclineReason}`,
        'ledger AUTHORIZED',
        'ledger REFUNDED',
        'ledger DECLINED',
        ...Object.keys(new SagaWorld().reached).map((what) => `reached ${what}`),
      ]),
    );
  });

  it('regression #13-1: a redrive after the cancellation never authorizes', async () => {
    await assertSettlesSafely(await runCommands([
      ...reservedAndForwarded,
      // The request leaves (payments notes the attempt) and fails: InventoryReserved retries, then goes to the DLQ.
      saga.providerOutage('failing'),
      ...failedReceivesUntilTheDeadline(saga.deliver('payments')),
      ...cancelledAtTheDeadline,
      saga.advance(60),
      saga.deliver('payments'),
      saga.providerOutage('none'),
      saga.redriveDlqs(),
      saga.deliver('payments'),
    ]));
  });

  it('regression #13-2: an InventoryReserved that reaches payments after the cancellation never authorizes', async () => {
    await assertSettlesSafely(await runCommands([
      placeOneDuck,
      saga.deliver('inventory'),
      saga.deliver('forward-primary'),
      // No timer was armed (OrderPlaced still waits on the arming queue): the sweep cancels the order past deadline + grace.
      saga.advance(120),
      // InventoryReserved gets to payments before the OrderCancelled, which is still in the forwarding queue.
      saga.deliver('payments'),
    ]));
  });

  it('regression #13-3: a redrive after the provider forgot the key refunds the first charge and never charges again', async () => {
    await assertSettlesSafely(await runCommands([
      ...reservedAndForwarded,
      // The provider authorizes, the answer is lost; the retries fail before reaching the provider, and the message is dead-lettered.
      saga.loseNextProviderAnswer(0),
      ...failedReceivesUntilTheDeadline(saga.deliver('payments', 0, { failBeforeRunning: true }), saga.deliver('payments')),
      ...cancelledAtTheDeadline,
      saga.advance(60),
      saga.deliver('payments', 0, { failBeforeRunning: true }),
      saga.expireProviderKeys(),
      saga.redriveDlqs(),
      saga.deliver('payments'),
    ]));
  });

  it('sees the harm when its assumption breaks: a provider acting later than the deadline margin charges after the deadline', async () => {
    const world = await runCommands([
      placeOneDuck,
      saga.loseNextProviderAnswer(defaultSagaDeadlineMarginMs + 1500),
      // The last moment payments may still send: the request leaves, the provider acts 1.5 s past the deadline.
      saga.advanceNearDeadline(0, -defaultSagaDeadlineMarginMs - 1),
      saga.runFor(0),
    ]);
    await world.quiesce();

    const report = auditWorld(world);

    expect(moneyHarm(world).join('\n')).toMatch(/after its deadline/);
    expect(report.invariants.find((invariant) => invariant.id === 8)?.findings.map((finding) => finding.code)).toContain('authorized-after-deadline');
  });
});

/** One order, reserved, its InventoryReserved forwarded to payments and its deadline timer armed. */
const reservedAndForwarded = [placeOneDuck, saga.deliver('inventory'), saga.deliver('arming'), saga.deliver('forward-primary')];

/** Four failed receives of the payments message, each after its redelivery backoff (2, 6, 24 s): the fifth is at 122 s, past the 60 s deadline. */
const failedReceivesUntilTheDeadline = (later: SagaCommand, first: SagaCommand = later) => [first, saga.advance(2), later, saga.advance(6), later, saga.advance(24), later];

/** The timer fires at the deadline, the order is cancelled, and payments records the cancellation before any payment row. */
const cancelledAtTheDeadline = [saga.advance(30), saga.deliver('orders'), saga.deliver('forward-primary'), saga.deliver('payments')];
