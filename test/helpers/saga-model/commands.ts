import fc from 'fast-check';
import type { Sku } from '#contracts/catalog';
import { defaultSagaDeadlineMarginMs } from '#shared/saga-deadline';
import type { ProviderLink } from './simulator-payment-provider';
import { queueNames, SagaWorld, type DeliveryFaults, type QueueName } from './world';

/** The model holds nothing of its own: what is checked is the world's state after quiescence, by the auditor. */
type Model = object;
export type SagaCommand = fc.AsyncCommand<Model, SagaWorld>;

const command = (label: string, run: (world: SagaWorld) => Promise<unknown> | unknown): SagaCommand => ({
  check: () => true,
  run: async (_model, world) => {
    await run(world);
  },
  toString: () => label,
});

/** A queue by name: deliveries pick from it, or from the next queue in `queueNames` order with a visible message. */
const queueIndex = (queue: QueueName) => queueNames.indexOf(queue);
const faultLabel = (faults: DeliveryFaults) => Object.keys(faults).filter((name) => faults[name as keyof DeliveryFaults]).join('+');

/** The commands, by name, so a regression case reads as the sequence that broke. */
export const saga = {
  place: (items: { sku: Sku; quantity: number }[]) => command(`place(${items.map((item) => `${item.sku}×${item.quantity}`).join(',')})`, (world) => world.placeOrder(items)),
  /** The client retries an earlier POST with the same Idempotency-Key and body (its first answer was lost). */
  retryPost: (which: number) => command(`retryPost(${which})`, (world) => world.placeOrder([], which)),
  deliver: (queue: QueueName, pick = 0, faults: DeliveryFaults = {}) =>
    command(`deliver(${queue}, ${pick}${faultLabel(faults) ? `, ${faultLabel(faults)}` : ''})`, (world) => world.deliver(queueIndex(queue), pick, faults)),
  deliverConcurrently: (first: QueueName, second: QueueName, pick = 0) =>
    command(`deliverConcurrently(${first}, ${second}, ${pick})`, (world) => world.deliverConcurrently([queueIndex(first), pick], [queueIndex(second), pick + 1])),
  /** Time passes with the system running: every message is delivered as soon as it is visible, faults and all. */
  runFor: (seconds: number) => command(`runFor(${seconds}s)`, (world) => world.drain(world.time + seconds * 1000)),
  /** Moves the clock to `offsetMs` from the deadline of an order placed earlier (a no-op if that moment has passed): where timing bugs live. */
  advanceNearDeadline: (which: number, offsetMs: number) =>
    command(`advanceNearDeadline(${which}, ${offsetMs}ms)`, async (world) => {
      if (world.placed.length === 0) return;
      const order = world.orders.orders.get(world.placed[which % world.placed.length]!.orderId)!;
      const target = Date.parse(order.deadline) + offsetMs;
      if (target > world.time) await world.advance(target - world.time);
    }),
  advance: (seconds: number) => command(`advance(${seconds}s)`, (world) => world.advance(seconds * 1000)),
  providerOutage: (outage: ProviderLink['outage']) =>
    command(`providerOutage(${outage})`, (world) => {
      world.link.outage = outage;
    }),
  /** The provider's clock against the system's, within the ±1 s the deadline margin is sized for. */
  providerSkew: (ms: number) =>
    command(`providerSkew(${ms}ms)`, (world) => {
      world.providerSkewMs = ms;
    }),
  /** The provider acts on the next request (`lagMs` later) and its answer is lost. */
  loseNextProviderAnswer: (lagMs: number) =>
    command(`loseNextProviderAnswer(${lagMs}ms)`, (world) => {
      world.link.loseNextAnswer = { lagMs };
    }),
  schedulerDown: (on: boolean) =>
    command(`schedulerDown(${on})`, (world) => {
      world.schedulerDown = on;
    }),
  notifierDown: (on: boolean) =>
    command(`notifierDown(${on})`, (world) => {
      world.notifierDown = on;
    }),
  partition: (on: boolean) =>
    command(`partition(${on})`, (world) => {
      world.partitioned = on;
    }),
  /** Forwarded events become visible in the other region this much later (the cross-region hop held back). */
  crossRegionLag: (seconds: number) =>
    command(`crossRegionLag(${seconds}s)`, (world) => {
      world.crossRegionLagMs = seconds * 1000;
    }),
  redriveDlqs: () => command('redriveDlqs', (world) => world.redriveAll()),
  replayArchives: () => command('replayArchives', (world) => world.replayArchives()),
  expireProviderKeys: () => command('expireProviderKeys', (world) => world.expireProviderKeys()),
};

const itemsArb = fc.uniqueArray(
  fc.record({
    // Scarce ducks get rejected; a gold duck is above the provider's limit and declined.
    sku: fc.constantFrom<Sku>('DUCK-CLASSIC', 'DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-LIMITED', 'DUCK-LIMITED', 'DUCK-GOLD'),
    quantity: fc.integer({ min: 1, max: 2 }),
  }),
  { minLength: 1, maxLength: 2, selector: (item) => item.sku },
);

const queueArb = fc.constantFrom(...queueNames);
const margin = defaultSagaDeadlineMarginMs;
/** The skew the margin is sized for (functions/shared/saga-deadline.ts). */
const maxSkewMs = 1000;
/** How late the provider may act on an abandoned request: lag plus skew stay under the margin, the bound the design assumes. */
const maxLagMs = margin - maxSkewMs - 100;
const faultsArb: fc.Arbitrary<DeliveryFaults> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant({ duplicate: true }) },
  { weight: 1, arbitrary: fc.constant({ crashAfterCommit: true }) },
  { weight: 1, arbitrary: fc.constant({ failBeforeRunning: true }) },
);

/** Weighted so that most runs carry several sagas far enough for the faults to meet them. */
export const sagaCommands = (maxCommands: number): fc.Arbitrary<Iterable<SagaCommand>> =>
  fc.commands(
    [
      // Several orders per run, so that they compete for the scarce ducks and their faults overlap.
      ...Array.from({ length: 4 }, () => itemsArb.map(saga.place)),
      fc.nat({ max: 4 }).map(saga.retryPost),
      ...Array.from({ length: 6 }, () => fc.tuple(queueArb, fc.nat({ max: 3 }), faultsArb).map(([queue, pick, faults]) => saga.deliver(queue, pick, faults))),
      fc.tuple(queueArb, queueArb, fc.nat({ max: 3 })).map(([first, second, pick]) => saga.deliverConcurrently(first, second, pick)),
      fc.constantFrom(1, 3, 5, 10, 30, 60, 120).map(saga.advance),
      fc.constantFrom(1, 3, 5, 10, 30, 60, 120).map(saga.advance),
      fc.constantFrom(0, 1, 5, 30, 120).map(saga.runFor),
      fc.constantFrom(0, 1, 5, 30, 120).map(saga.runFor),
      // Around the last moment for side effects (deadline − margin) and the deadline itself.
      fc
        .tuple(fc.nat({ max: 4 }), fc.constantFrom(-margin - maxLagMs, -margin - 1000, -margin - 1, -margin, -margin + 1, -3000, -1, 0, 1, 2000))
        .map(([which, offset]) => saga.advanceNearDeadline(which, offset)),
      fc.constantFrom<ProviderLink['outage']>('none', 'failing', 'refused').map(saga.providerOutage),
      fc.constantFrom(0, 1000, maxLagMs / 2, maxLagMs).map(saga.loseNextProviderAnswer),
      fc.constantFrom(-maxSkewMs, 0, maxSkewMs).map(saga.providerSkew),
      fc.boolean().map(saga.partition),
      fc.boolean().map(saga.notifierDown),
      fc.boolean().map(saga.schedulerDown),
      fc.constantFrom(0, 5, 30, 56, 90).map(saga.crossRegionLag),
      fc.constant(saga.redriveDlqs()),
      fc.constant(saga.replayArchives()),
      fc.constant(saga.expireProviderKeys()),
    ],
    // 'max': sequences up to maxCommands long (the default size keeps most under ten, too short for a fault to meet a saga).
    { maxCommands, size: 'max' },
  );
