import type { Sku } from '#contracts/catalog';
import type { ContextName, EventContract, EventDetail } from '#contracts/envelope';
import { deadlineArmingSubscription, subscriptions } from '#contracts/subscriptions';
import { PoisonMessageError } from '#shared/event-consumer';
import { defaultRedeliveryBackoff, redeliveryDelaySeconds } from '#shared/resilience/redelivery-backoff';
import type { InventoryEvent } from '../../../functions/inventory/domain/reservation';
import { applyOrderEvent } from '../../../functions/inventory/domain/use-cases';
import type { TerminalEvent } from '../../../functions/notifications/domain/notification';
import { notifyCustomer } from '../../../functions/notifications/domain/use-cases';
import type { SagaEvent } from '../../../functions/orders/domain/order';
import type { DeadlineTimers } from '../../../functions/orders/domain/ports';
import { applySagaEvent, armDeadline, placeOrder, sweepOverdueOrders } from '../../../functions/orders/domain/use-cases';
import type { InventoryReservedEvent, OrderCancelledEvent } from '../../../functions/payments/domain/payment';
import { authorizePayment, cancelPayment } from '../../../functions/payments/domain/use-cases';
import { inMemoryInventory } from '../inventory-fake-repository';
import { inMemoryNotifications, recordingNotifier } from '../notifications-fakes';
import { inMemoryOrders, inMemoryTimers } from '../orders-fake-repository';
import { InMemoryPaymentRepository } from '../payments-fakes';
import { providerPorts } from '../provider-fakes';
import { healthyLink, simulatorPaymentProvider } from './simulator-payment-provider';

type Detail = EventDetail<EventContract>;
type Region = 'primary' | 'secondary';

/** The timings of the modelled deployment, shortened so that a few clock steps cross a deadline. */
export const worldSettings = {
  sagaDeadlineSeconds: 60,
  sweepEverySeconds: 60,
  sweepGraceSeconds: 30,
  /** SQS maxReceiveCount of every consumer and forwarding queue. */
  maxReceiveCount: 5,
  /** The simulator's Idempotency-Key retention (its default, Stripe's 24 h). */
  providerKeyRetentionSeconds: 24 * 3600,
  start: Date.parse('2026-11-25T10:00:00.000Z'),
} as const;

export const initialStock: Record<Sku, number> = { 'DUCK-CLASSIC': 40, 'DUCK-PIRATE': 10, 'DUCK-NINJA': 10, 'DUCK-ASTRO': 10, 'DUCK-GOLD': 5, 'DUCK-LIMITED': 3 };

/** One queue per consumer, as the stacks deploy them; `forward-*` are the cross-region forwarding queues. */
export const queueNames = ['orders', 'arming', 'inventory', 'payments', 'notifications', 'forward-primary', 'forward-secondary'] as const;
export type QueueName = (typeof queueNames)[number];

const regionOf: Record<ContextName, Region> = { orders: 'primary', inventory: 'primary', notifications: 'primary', payments: 'secondary' };
const otherRegion = (region: Region): Region => (region === 'primary' ? 'secondary' : 'primary');

export interface Message {
  messageId: number;
  event: Detail;
  /** The bus the event was first published on; only forwarding queues need it. */
  origin: Region;
  receiveCount: number;
  /** Epoch ms before which a receive does not see it (the redelivery backoff). */
  visibleAt: number;
}

/** What a delivery does besides running the consumer. */
export interface DeliveryFaults {
  /** SQS hands the same message out twice (at-least-once): a copy stays in the queue. */
  duplicate?: boolean;
  /** The consumer commits its writes and dies before the idempotency record and the delete: the message comes back. */
  crashAfterCommit?: boolean;
  /** The receive fails before the consumer runs (throttle, timeout, cold-start crash): a failed receive. */
  failBeforeRunning?: boolean;
}

export interface PlacedOrder {
  orderId: string;
  idempotencyKey: string;
}

const consumersOf = (type: string): ContextName[] =>
  (Object.entries(subscriptions) as [ContextName, readonly EventContract[]][]).filter(([, contracts]) => contracts.some((contract) => contract.detailType === type)).map(([context]) => context);

/**
 * The whole saga in one process: every context's real use cases over the
 * in-memory repositories, the real provider simulator behind the payments
 * port, and, around them, what AWS provides: a bus per region with an
 * archive, a queue per consumer (at-least-once, backoff, DLQ after
 * `maxReceiveCount` receives, consumers idempotent on the envelope eventId as
 * Powertools makes them), forwarding queues between the regions, one-time
 * deadline timers, the sweep, and a clock that only moves when told.
 */
export class SagaWorld {
  time: number = worldSettings.start;
  readonly clock = { now: () => new Date(this.time) };
  readonly orders = inMemoryOrders({ clock: this.clock });
  readonly timers = inMemoryTimers();
  readonly inventory = inMemoryInventory({ ...initialStock });
  readonly payments = new InMemoryPaymentRepository(this.clock);
  /** The provider's clock runs this far ahead (or behind) of the system's; the deadline margin is meant to cover ≤ 1 s. */
  providerSkewMs = 0;
  readonly simulator = providerPorts({ clock: { now: () => new Date(this.time + this.providerSkewMs) }, keyRetentionSeconds: worldSettings.providerKeyRetentionSeconds });
  readonly link = healthyLink();
  readonly provider = simulatorPaymentProvider(this.simulator, this.link, this.clock);
  readonly notifications = inMemoryNotifications();
  readonly notifier = recordingNotifier();
  /** While true EventBridge Scheduler refuses every call: arming fails (and retries), a clear after a terminal move fails (harmless by design). */
  schedulerDown = false;
  /** The timers as the use cases see them: the in-memory schedules, behind the scheduler's availability. */
  private readonly scheduler: DeadlineTimers = {
    set: (timer) => (this.schedulerDown ? Promise.reject(new Error('ThrottlingException: Rate exceeded')) : this.timers.timers.set(timer)),
    clear: (orderId) => (this.schedulerDown ? Promise.reject(new Error('ThrottlingException: Rate exceeded')) : this.timers.timers.clear(orderId)),
  };
  /** While true the delivery channel fails every send: the claim stays SENDING and a redelivery sends again. */
  notifierDown = false;

  readonly queues = Object.fromEntries(queueNames.map((name) => [name, [] as Message[]])) as Record<QueueName, Message[]>;
  readonly deadLetters = Object.fromEntries(queueNames.map((name) => [name, [] as Message[]])) as Record<QueueName, Message[]>;
  /** Every event each bus accepted, in order: what `duckstore replay` re-delivers. */
  readonly archives: Record<Region, { event: Detail; origin: Region }[]> = { primary: [], secondary: [] };
  /** Powertools idempotency records per consumer, by eventId; a failed run leaves none. */
  readonly idempotency = Object.fromEntries(queueNames.map((name) => [name, new Map<string, 'INPROGRESS' | 'COMPLETED'>()])) as Record<QueueName, Map<string, 'INPROGRESS' | 'COMPLETED'>>;
  /** True while the regions cannot reach each other: the forwarders fail. */
  partitioned = false;
  /** How long a forwarded event takes to become visible in the other region's queues (a slow link, a backlog there). */
  crossRegionLagMs = 0;
  readonly placed: PlacedOrder[] = [];
  /** How far the run reached, so a test can tell that its runs exercised the faults at all. */
  readonly reached = { deadLettered: 0, redriven: 0, replayed: 0, crashedAfterCommit: 0, landedLate: 0, concurrent: 0 };
  /** What went wrong in the harness itself (never a domain outcome): fails the run. */
  readonly harnessErrors: string[] = [];

  /**
   * Which visible message goes next whenever the world runs by itself (runFor,
   * quiescence): the n-th pick takes `drainOrder[n % length] % visible`, so the
   * generated order carries on through recovery. Empty: oldest first.
   */
  constructor(private readonly drainOrder: readonly number[] = []) {}

  private drained = 0;
  private nextMessageId = 0;
  private nextOrder = 0;
  /** The last sweep tick that ran or could be skipped; ticks are every `sweepEverySeconds` from the start. */
  private sweptUpTo: number = worldSettings.start;
  private readonly relayed = { orders: 0, inventory: 0, payments: 0 };
  /** The body of each POST by its Idempotency-Key, for a client's retry. */
  private readonly requests = new Map<string, { customerId: string; items: { sku: Sku; quantity: number }[] }>();

  private readonly consumers: Record<QueueName, (event: Detail, origin: Region) => Promise<unknown>> = {
    orders: (event) => applySagaEvent(event as SagaEvent, { orders: this.orders.repository, clock: this.clock, timers: this.scheduler }),
    arming: (event) => armDeadline(event as EventDetail<(typeof deadlineArmingSubscription)[number]>, { orders: this.orders.repository, timers: this.scheduler, clock: this.clock, region: 'us-east-1' }),
    inventory: (event) => applyOrderEvent(event as InventoryEvent, { reservations: this.inventory.repository, clock: this.clock }),
    payments: (event) => {
      const ports = { payments: this.payments, provider: this.provider, clock: this.clock };
      if (event.metadata.type === 'InventoryReserved') return authorizePayment(event as InventoryReservedEvent, ports);
      if (event.metadata.type === 'OrderCancelled') return cancelPayment(event as OrderCancelledEvent, ports);
      throw new PoisonMessageError(`no subscription for ${event.metadata.type}`);
    },
    notifications: (event) =>
      notifyCustomer(event as TerminalEvent, {
        notifications: this.notifications.repository,
        notifier: { send: (message) => (this.notifierDown ? Promise.reject(new Error('channel unavailable')) : this.notifier.notifier.send(message)) },
        clock: this.clock,
      }),
    'forward-primary': (event, origin) => this.forward(event, origin),
    'forward-secondary': (event, origin) => this.forward(event, origin),
  };

  // ---- what clients and operators do

  /** POST /orders; `retryOf` repeats an earlier POST (same Idempotency-Key, same body), as a client whose answer was lost; a no-op before any POST. */
  async placeOrder(items: { sku: Sku; quantity: number }[], retryOf?: number): Promise<void> {
    if (retryOf !== undefined && this.placed.length === 0) return;
    const earlier = retryOf === undefined ? undefined : this.placed[retryOf % this.placed.length]!;
    const idempotencyKey = earlier?.idempotencyKey ?? `checkout-${++this.nextOrder}`;
    const request = earlier ? this.requests.get(idempotencyKey)! : { customerId: `customer-${this.nextOrder}`, items };
    const result = await placeOrder(
      { request, idempotencyKey, principal: 'anonymous' },
      { orders: this.orders.repository, clock: this.clock, sagaDeadlineSeconds: worldSettings.sagaDeadlineSeconds, newId: () => `00000000-0000-4000-8000-${String(this.nextOrder).padStart(12, '0')}` },
    );
    if (earlier) {
      if (!result.replayed || result.orderId !== earlier.orderId) this.harnessErrors.push(`the retried POST of ${idempotencyKey} got ${result.orderId} (replayed: ${result.replayed}), not ${earlier.orderId}`);
    } else {
      this.requests.set(idempotencyKey, request);
      this.placed.push({ orderId: result.orderId, idempotencyKey });
    }
    this.relay();
  }

  /** Receives the `pick`-th visible message (wrapping around) of queue number `queue`, or of the next queue with one; false when no queue has a visible message. */
  async deliver(queue: number, pick: number, faults: DeliveryFaults = {}): Promise<boolean> {
    const message = this.pickVisible(queue, pick);
    if (!message) return false;
    await this.receive(message, faults);
    return true;
  }

  /** Two receives at once, as two Lambda invocations (or two records of one batch) run concurrently. */
  async deliverConcurrently(first: [number, number], second: [number, number]): Promise<void> {
    const a = this.pickVisible(...first);
    const b = this.pickVisible(...second);
    if (!a) return;
    if (b && b !== a) this.reached.concurrent++;
    await Promise.all([this.receive(a, {}), b && b !== a ? this.receive(b, {}) : Promise.resolve()]);
  }

  /** `duckstore dlq redrive` for every DLQ: each message back on its queue, same body (so the same eventId), a fresh receive count. */
  redriveAll(): void {
    for (const name of queueNames) {
      for (const message of this.deadLetters[name].splice(0)) {
        this.reached.redriven++;
        this.queues[name].push({ ...message, messageId: this.nextMessageId++, receiveCount: 0, visibleAt: this.time });
      }
    }
  }

  /** `duckstore replay` over all time: every event each bus ever accepted goes through that bus's rules again. */
  replayArchives(): void {
    for (const region of ['primary', 'secondary'] as const) {
      for (const { event, origin } of [...this.archives[region]]) {
        this.reached.replayed++;
        this.route(region, event, origin);
      }
    }
  }

  /** Moves the clock, firing on the way what falls due: provider requests in flight, deadline timers, the sweep. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const inFlight = this.link.inFlight.map((request) => request.at);
      const timers = [...this.timers.pending.values()].map((timer) => timer.fireAt.getTime());
      const next = Math.min(...inFlight, ...timers, this.nextUsefulSweep());
      if (next > target) break;
      this.time = Math.max(this.time, next);
      await this.fireDue();
    }
    this.time = target;
    await this.fireDue();
  }

  /** The provider's key retention passes (a saga parked a day in a DLQ, a replay a day later). */
  async expireProviderKeys(): Promise<void> {
    await this.advance((worldSettings.providerKeyRetentionSeconds + 60) * 1000);
  }

  /**
   * Ends every fault and lets the system settle as operators would leave it:
   * queues drained (waiting out backoffs), DLQs redriven, the clock past every
   * deadline plus the sweep's grace, until nothing is left to do.
   */
  async quiesce(): Promise<void> {
    // A fault still on lasts a few minutes more, as an incident does before it is healed: what it breaks ends in the DLQs.
    if (this.link.outage !== 'none' || this.partitioned || this.notifierDown || this.schedulerDown) await this.drain(this.time + 300_000);
    this.notifierDown = false;
    this.schedulerDown = false;
    this.link.outage = 'none';
    this.link.loseNextAnswer = undefined;
    this.partitioned = false;
    this.crossRegionLagMs = 0;
    for (let round = 0; round < 50; round++) {
      await this.drain();
      // Past every deadline and the sweep's grace, with one more sweep: what could still move, moves.
      await this.advance((worldSettings.sagaDeadlineSeconds + worldSettings.sweepGraceSeconds + 2 * worldSettings.sweepEverySeconds) * 1000);
      await this.drain();
      if (this.isQuiet()) return;
      this.redriveAll();
    }
    this.harnessErrors.push(`the system did not quiesce: ${this.describeBacklog()}`);
  }

  // ---- the machinery

  private isQuiet(): boolean {
    return queueNames.every((name) => this.queues[name].length === 0 && this.deadLetters[name].length === 0) && this.timers.pending.size === 0 && this.link.inFlight.length === 0;
  }

  describeBacklog(): string {
    return queueNames.map((name) => `${name} ${this.queues[name].length}/${this.deadLetters[name].length}`).join(', ');
  }

  /**
   * Lets the system run: every message is delivered once visible, in the
   * order `drainOrder` picks (oldest first without one), the clock moving on to the next backoff, until the queues are
   * empty (failures end in the DLQs) or, with `until`, the clock reaches it.
   */
  async drain(until = Infinity): Promise<void> {
    for (let step = 0; step < 5_000; step++) {
      const visible = queueNames.flatMap((name) => this.queues[name]).filter((message) => message.visibleAt <= this.time);
      if (visible.length > 0) {
        const pick = this.drainOrder.length === 0 ? 0 : this.drainOrder[this.drained++ % this.drainOrder.length]! % visible.length;
        await this.receive(visible.sort((a, b) => a.messageId - b.messageId)[pick]!, {});
        continue;
      }
      const next = Math.min(...queueNames.flatMap((name) => this.queues[name]).map((message) => message.visibleAt), until);
      if (next === Infinity) return;
      await this.advance(next - this.time);
      if (next === until) return;
    }
    this.harnessErrors.push(`the queues did not drain: ${this.describeBacklog()}`);
  }

  private pickVisible(queue: number, pick: number): Message | undefined {
    for (let offset = 0; offset < queueNames.length; offset++) {
      const visible = this.queues[queueNames[(queue + offset) % queueNames.length]!].filter((message) => message.visibleAt <= this.time);
      if (visible.length > 0) return visible[pick % visible.length];
    }
    return undefined;
  }

  private queueOf(message: Message): QueueName {
    return queueNames.find((name) => this.queues[name].includes(message))!;
  }

  private async receive(message: Message, faults: DeliveryFaults): Promise<void> {
    const name = this.queueOf(message);
    const queue = this.queues[name];
    message.receiveCount++;
    if (faults.duplicate) queue.push({ ...message, messageId: this.nextMessageId++, receiveCount: 0 });
    const fail = (poison: boolean) => {
      if (poison || message.receiveCount >= worldSettings.maxReceiveCount) {
        queue.splice(queue.indexOf(message), 1);
        this.deadLetters[name].push(message);
        this.reached.deadLettered++;
      } else {
        message.visibleAt = this.time + redeliveryDelaySeconds(message.receiveCount, defaultRedeliveryBackoff, () => 0.5) * 1000;
      }
    };
    if (faults.failBeforeRunning) return fail(false);

    const records = this.idempotency[name];
    const eventId = message.event.metadata.eventId;
    // Forwarders are not idempotent: a second PutEvents is a duplicate event, which the consumers' idempotency absorbs.
    const idempotent = !name.startsWith('forward-');
    const record = idempotent ? records.get(eventId) : undefined;
    if (record === 'COMPLETED') {
      queue.splice(queue.indexOf(message), 1);
      return;
    }
    // IdempotencyAlreadyInProgressError: another invocation holds the record; this one fails and comes back.
    if (record === 'INPROGRESS') return fail(false);
    if (idempotent) records.set(eventId, 'INPROGRESS');
    try {
      await this.consumers[name](message.event, message.origin);
    } catch (error) {
      records.delete(eventId);
      this.relay();
      return fail(error instanceof PoisonMessageError);
    }
    this.relay();
    if (faults.crashAfterCommit) {
      // The in-progress record expires with the invocation; the message reappears after its visibility timeout.
      records.delete(eventId);
      this.reached.crashedAfterCommit++;
      return fail(false);
    }
    if (idempotent) records.set(eventId, 'COMPLETED');
    queue.splice(queue.indexOf(message), 1);
  }

  private async forward(event: Detail, origin: Region): Promise<void> {
    if (this.partitioned) throw new Error('PutEvents to the other region failed: the regions are partitioned');
    this.publish(otherRegion(origin), event, origin, this.time + this.crossRegionLagMs);
  }

  /** The outbox relays: every outbox row written since the last call becomes an event on its region's bus, in commit order. */
  private relay(): void {
    const fresh: { event: Detail; region: Region }[] = [
      ...this.orders.emitted().slice(this.relayed.orders).map((entry) => ({ event: entry.detail, region: 'primary' as const })),
      ...this.inventory.outbox.slice(this.relayed.inventory).map((entry) => ({ event: entry.detail as Detail, region: 'primary' as const })),
      ...this.payments.published.slice(this.relayed.payments).map((entry) => ({ event: entry.detail, region: 'secondary' as const })),
    ];
    this.relayed.orders = this.orders.outbox.length;
    this.relayed.inventory = this.inventory.outbox.length;
    this.relayed.payments = this.payments.published.length;
    for (const { event, region } of fresh) this.publish(region, event, region);
  }

  private publish(region: Region, event: Detail, origin: Region, visibleAt = this.time): void {
    this.archives[region].push({ event, origin });
    this.route(region, event, origin, visibleAt);
  }

  /** The bus's rules: local subscribers get a copy each; an event that originated here and has remote subscribers is forwarded once. */
  private route(region: Region, event: Detail, origin: Region, visibleAt = this.time): void {
    const type = event.metadata.type;
    const consumers: QueueName[] = consumersOf(type).filter((context) => regionOf[context] === region);
    if (region === 'primary' && deadlineArmingSubscription.some((contract) => contract.detailType === type)) consumers.push('arming');
    // A replay of the other region's events reaches this region's consumers only: the forwarding rule matches this region's own events.
    const forwarded = origin === region && consumersOf(type).some((context) => regionOf[context] !== region);
    if (forwarded) consumers.push(`forward-${region}`);
    for (const name of consumers) this.enqueue(name, event, origin, visibleAt);
  }

  private enqueue(name: QueueName, event: Detail, origin: Region, visibleAt = this.time): void {
    this.queues[name].push({ messageId: this.nextMessageId++, event, origin, receiveCount: 0, visibleAt });
  }

  /**
   * The first sweep tick that can find an order past its deadline plus the
   * grace. The ticks before it would find nothing, so skipping them changes
   * nothing but the run time (a day's jump is 1440 ticks).
   */
  private nextUsefulSweep(): number {
    const deadlines = [...this.orders.orders.values()].filter((order) => order.status === 'PENDING').map((order) => Date.parse(order.deadline));
    if (deadlines.length === 0) return Infinity;
    const every = worldSettings.sweepEverySeconds * 1000;
    const from = Math.max(this.sweptUpTo + every, Math.min(...deadlines) + worldSettings.sweepGraceSeconds * 1000 + 1);
    return worldSettings.start + Math.ceil((from - worldSettings.start) / every) * every;
  }

  private async fireDue(): Promise<void> {
    for (const request of this.link.inFlight.filter((candidate) => candidate.at <= this.time).sort((a, b) => a.at - b.at)) {
      this.link.inFlight.splice(this.link.inFlight.indexOf(request), 1);
      this.reached.landedLate++;
      await request.act();
    }
    for (const timer of [...this.timers.pending.values()].filter((candidate) => candidate.fireAt.getTime() <= this.time)) {
      // A one-time schedule delivers straight to the orders queue (not the bus, not the archive) and deletes itself.
      this.timers.pending.delete(timer.orderId);
      this.enqueue('orders', timer.event as Detail, 'primary');
    }
    if (this.time >= this.nextUsefulSweep()) {
      const every = worldSettings.sweepEverySeconds * 1000;
      this.sweptUpTo = worldSettings.start + Math.floor((this.time - worldSettings.start) / every) * every;
      const report = await sweepOverdueOrders(
        { orders: this.orders.repository, clock: this.clock, timers: this.scheduler, overdue: this.orders.overdue, region: 'us-east-1' },
        { graceSeconds: worldSettings.sweepGraceSeconds, limit: 100 },
      );
      if (report.failed.length > 0) this.harnessErrors.push(`the sweep failed: ${JSON.stringify(report.failed)}`);
      this.relay();
    }
  }
}
