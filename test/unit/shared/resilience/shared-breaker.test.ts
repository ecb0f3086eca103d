import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BreakerItem } from '#contracts/dependency-breaker';
import { nextProbeInterval, SharedBreaker, defaultSharedBreakerSettings, type SharedBreakerStore } from '#shared/resilience/shared-breaker';

/** The breaker item in memory with DynamoDB's conditional-write semantics (each method is one atomic UpdateItem). */
class MemoryBreakerStore implements SharedBreakerStore {
  item: BreakerItem | undefined;
  readonly claims: { generation: number; due: number }[] = [];
  opens = 0;

  async read() {
    return this.item && { ...this.item };
  }
  async open(generation: number, { at, reason, firstProbeAt }: { at: number; reason: string; firstProbeAt: number }) {
    const current = this.item;
    if (current ? current.state !== 'closed' || current.generation !== generation : generation !== 0) return false;
    this.item = { pk: 'BREAKER#provider', state: 'open', generation: generation + 1, openedAt: at, reason, nextProbeAt: firstProbeAt, paused: true, probes: 0 };
    this.opens++;
    return true;
  }
  async close(generation: number, { reason }: { at: number; reason: string }) {
    if (this.item?.state !== 'open' || this.item.generation !== generation) return false;
    const { nextProbeAt: _, ...rest } = this.item;
    this.item = { ...rest, state: 'closed', generation: generation + 1, reason };
    return true;
  }
  async claimProbe(generation: number, due: number, next: number) {
    if (this.item?.state !== 'open' || this.item.generation !== generation || this.item.nextProbeAt !== due) return false;
    this.item = { ...this.item, nextProbeAt: next, probes: (this.item.probes ?? 0) + 1 };
    this.claims.push({ generation, due });
    return true;
  }
  async recordProbe(generation: number, { at, outcome }: { at: number; outcome: string }) {
    if (this.item?.generation === generation) this.item = { ...this.item, lastProbeAt: at, lastProbeOutcome: outcome };
  }
  async markResumed(generation: number) {
    if (this.item?.generation === generation) this.item = { ...this.item, paused: false };
  }
}

/** A world: one store, one mapping, a provider that is up or down, a clock the test moves; sleeps advance it. */
function world() {
  const clock = { time: 1_000_000, now: () => clock.time };
  const store = new MemoryBreakerStore();
  const mapping = { enabled: true, switches: [] as boolean[] };
  const provider = { up: false, probes: 0 };
  let chainRounds = 0;
  const environment = () =>
    new SharedBreaker({
      dependency: 'provider',
      store,
      clock,
      mapping: {
        async setEnabled(enabled) {
          mapping.enabled = enabled;
          mapping.switches.push(enabled);
        },
      },
      probe: async () => {
        provider.probes++;
        return provider.up ? { ok: true } : { ok: false, reason: 'HTTP 503' };
      },
      continueProbing: async () => {
        chainRounds++;
      },
      sleep: async (ms) => {
        clock.time += ms;
      },
    });
  return { clock, store, mapping, provider, environment, chainRounds: () => chainRounds };
}

describe('SharedBreaker', () => {
  it('opens once however many environments trip together, pauses the mapping and starts one probe chain', async () => {
    const { store, mapping, environment, chainRounds } = world();
    const environments = [environment(), environment(), environment()];

    await Promise.all(environments.map((env) => env.trip('5 of the last 5 calls failed')));

    expect(store.opens).toBe(1);
    expect(store.item).toMatchObject({ state: 'open', generation: 1, paused: true });
    expect(mapping.enabled).toBe(false);
    expect(chainRounds()).toBe(1);
  });

  it('every environment sees it open (cached for a second) and pauses the mapping once per opening', async () => {
    const { clock, mapping, environment } = world();
    const tripping = environment();
    const other = environment();
    expect((await other.view()).state).toBe('closed');

    await tripping.trip('down');
    expect((await other.view()).state).toBe('closed');
    clock.time += defaultSharedBreakerSettings.viewCacheMs;
    const view = await other.view();
    expect(view).toMatchObject({ state: 'open', generation: 1 });
    await other.ensurePaused(view.generation);
    await other.ensurePaused(view.generation);

    expect(mapping.switches).toEqual([false, false]);
  });

  it('probes with doubling intervals while the provider is down, then closes and resumes on the first success', async () => {
    const { clock, store, mapping, provider, environment } = world();
    const env = environment();
    await env.trip('down');
    const openedAt = clock.time;

    const probeTimes: number[] = [];
    for (let round = 0; round < 4; round++) {
      const result = await env.probeRound(60_000, true);
      probeTimes.push(clock.time - openedAt);
      expect(result.outcome).toBe('still-open');
    }
    expect(probeTimes).toEqual([2_000, 6_000, 14_000, 24_000]);
    expect(mapping.enabled).toBe(false);

    provider.up = true;
    const result = await env.probeRound(60_000, true);

    expect(result).toMatchObject({ outcome: 'closed' });
    expect(clock.time - openedAt).toBe(34_000);
    expect(store.item).toMatchObject({ state: 'closed', generation: 2, paused: false });
    expect(mapping.enabled).toBe(true);
    expect(provider.probes).toBe(5);
  });

  it('a backstop round leaves a probe that is not due to the chain, and the chain hands over instead of sleeping past its budget', async () => {
    const { environment, provider, chainRounds } = world();
    const env = environment();
    await env.trip('down');

    expect((await env.probeRound(500, false)).outcome).toBe('not-due');
    expect(chainRounds()).toBe(1);
    expect((await env.probeRound(500, true)).outcome).toBe('not-due');
    expect(chainRounds()).toBe(2);
    expect(provider.probes).toBe(0);
  });

  it('resumes a mapping left paused by a prober that closed the breaker and stopped before resuming', async () => {
    const { store, mapping, environment } = world();
    await environment().trip('down');
    await store.close(1, { at: 0, reason: 'probe ok' });
    expect(mapping.enabled).toBe(false);

    expect((await environment().probeRound(60_000, false)).outcome).toBe('resumed');

    expect(mapping.enabled).toBe(true);
    expect(store.item?.paused).toBe(false);
  });

  it('an unreadable item is closed: the breaker never stops the flow by itself', async () => {
    const { store, environment } = world();
    store.read = async () => {
      throw new Error('throttled');
    };
    expect((await environment().view()).state).toBe('closed');
  });

  it('never probes one due slot twice, never resumes while open, and always ends closed and resumed once the provider is back (any interleaving of trips, chain and backstop rounds)', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('trip' as const), env: fc.nat(2) }),
      fc.record({ kind: fc.constant('round' as const), env: fc.nat(2), fromChain: fc.boolean(), budgetMs: fc.integer({ min: 0, max: 12_000 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 15_000 }) }),
      fc.record({ kind: fc.constant('heal' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const { clock, store, mapping, provider, environment } = world();
        const environments = [environment(), environment(), environment()];
        for (const action of steps) {
          if (action.kind === 'trip' && !provider.up) await environments[action.env]!.trip('down');
          if (action.kind === 'round') await Promise.all([environments[action.env]!.probeRound(action.budgetMs, action.fromChain), environments[(action.env + 1) % 3]!.probeRound(action.budgetMs, !action.fromChain)]);
          if (action.kind === 'wait') clock.time += action.ms;
          if (action.kind === 'heal') provider.up = true;
          if (store.item?.state === 'open') expect(mapping.enabled).toBe(false);
        }
        const slots = store.claims.map((claim) => `${claim.generation}@${claim.due}`);
        expect(new Set(slots).size).toBe(slots.length);

        // The provider comes back; the backstop alone (one round a minute) closes and resumes.
        provider.up = true;
        for (let minute = 0; minute < 3 && (store.item?.state === 'open' || store.item?.paused); minute++) {
          clock.time += 60_000;
          await environments[0]!.probeRound(60_000, false);
        }
        expect(store.item?.state ?? 'closed').toBe('closed');
        expect(mapping.enabled).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('nextProbeInterval', () => {
  it('doubles from the first interval up to the cap', () => {
    const settings = { ...defaultSharedBreakerSettings, firstProbeAfterMs: 2_000, maxProbeIntervalMs: 10_000 };
    expect([0, 2_000, 4_000, 8_000, 10_000].map((previous) => nextProbeInterval(previous, settings))).toEqual([2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});
