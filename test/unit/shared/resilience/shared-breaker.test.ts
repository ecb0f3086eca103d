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
  async markResumed(generation: number, rampUntil: number | undefined) {
    if (this.item?.generation !== generation) return;
    const { rampUntil: _, ...rest } = this.item;
    this.item = { ...rest, paused: false, ...(rampUntil !== undefined ? { rampUntil } : {}) };
  }
  async endRamp(generation: number) {
    if (this.item?.state !== 'closed' || this.item.generation !== generation) return;
    const { rampUntil: _, ...rest } = this.item;
    this.item = rest;
  }
}

const ramp = { concurrency: 2, ms: 10_000, fullConcurrency: 5 };

/** A world: one store, one mapping, a provider that is up or down, a clock the test moves; sleeps advance it. */
function world(settings: { ramp?: typeof ramp } = {}) {
  const clock = { time: 1_000_000, now: () => clock.time };
  const store = new MemoryBreakerStore();
  const mapping = { enabled: true, switches: [] as boolean[], concurrency: settings.ramp?.fullConcurrency ?? 5 };
  const provider = { up: false, probes: 0 };
  let chainRounds = 0;
  const environment = () =>
    new SharedBreaker({
      dependency: 'provider',
      store,
      clock,
      mapping: {
        async setEnabled(enabled, maximumConcurrency) {
          mapping.enabled = enabled;
          mapping.switches.push(enabled);
          if (maximumConcurrency !== undefined) mapping.concurrency = maximumConcurrency;
        },
        async setMaximumConcurrency(maximumConcurrency) {
          mapping.concurrency = maximumConcurrency;
        },
      },
      settings: { ramp: settings.ramp },
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

  it('resumes at the ramp concurrency, and a later round (the chain it hands to) restores the full concurrency once the ramp is over', async () => {
    const { clock, store, mapping, provider, environment, chainRounds } = world({ ramp });
    const env = environment();
    await env.trip('down');
    provider.up = true;
    const chainBefore = chainRounds();

    expect((await env.probeRound(60_000, true)).outcome).toBe('closed');
    expect(mapping).toMatchObject({ enabled: true, concurrency: 2 });
    expect(store.item?.rampUntil).toBe(clock.time + ramp.ms);
    // The closing round hands the ramp's end to a fresh invocation.
    expect(chainRounds()).toBe(chainBefore + 1);

    // A round with too little budget hands over again; one with enough waits for the end of the ramp.
    expect((await env.probeRound(1_000, true)).outcome).toBe('ramping');
    expect(chainRounds()).toBe(chainBefore + 2);
    expect(mapping.concurrency).toBe(2);
    expect((await env.probeRound(60_000, true)).outcome).toBe('ramped');
    expect(mapping).toMatchObject({ enabled: true, concurrency: ramp.fullConcurrency });
    expect(store.item?.rampUntil).toBeUndefined();
    expect((await env.probeRound(60_000, true)).outcome).toBe('idle');
  });

  it('a breaker that opens again during the ramp keeps its pause: the ramp ends without enabling the mapping, and the next resume ramps again', async () => {
    const { clock, store, mapping, provider, environment } = world({ ramp });
    const env = environment();
    await env.trip('down');
    provider.up = true;
    await env.probeRound(60_000, true);
    provider.up = false;
    clock.time += defaultSharedBreakerSettings.viewCacheMs;
    await env.trip('timeouts after the resume');
    expect(store.item).toMatchObject({ state: 'open', generation: 3 });

    clock.time += ramp.ms;
    expect(mapping.enabled).toBe(false);
    provider.up = true;
    expect((await env.probeRound(60_000, true)).outcome).toBe('closed');
    expect(mapping).toMatchObject({ enabled: true, concurrency: 2 });
    expect(store.item).toMatchObject({ state: 'closed', generation: 4, rampUntil: clock.time + ramp.ms });
  });

  it('an unreadable item is closed: the breaker never stops the flow by itself, even where it was last seen open', async () => {
    const { clock, store, environment } = world();
    const env = environment();
    await env.trip('down');
    expect(env.lastSeenState()).toBe('open');
    store.read = async () => {
      throw new Error('throttled');
    };
    clock.time += defaultSharedBreakerSettings.viewCacheMs;
    expect((await env.view()).state).toBe('closed');
    expect(env.lastSeenState()).toBe('closed');
    expect((await environment().view()).state).toBe('closed');
  });

  it('regression (review): a pause from a stale open view, racing the probe that closed the breaker and resumed the consumer, gives the mapping back', async () => {
    const { store, mapping, provider, environment } = world();
    const stale = environment();
    await environment().trip('down');
    provider.up = true;
    expect((await environment().probeRound(60_000, true)).outcome).toBe('closed');
    expect(mapping.enabled).toBe(true);

    // This environment still believes generation 1 is open, and pauses for it after the resume.
    await stale.ensurePaused(1);

    expect(store.item).toMatchObject({ state: 'closed', generation: 2, paused: false });
    expect(mapping.enabled).toBe(true);
    expect(mapping.switches.slice(-2)).toEqual([false, true]);
  });

  it('regression (review): a trip whose pause fails still starts the probe chain', async () => {
    const { store } = world();
    let chained = 0;
    const env = new SharedBreaker({
      dependency: 'provider',
      store,
      clock: { now: () => 1_000_000 },
      mapping: {
        setEnabled: async () => {
          throw new Error('ResourceInUseException');
        },
        setMaximumConcurrency: async () => {},
      },
      probe: async () => ({ ok: false, reason: 'down' }),
      continueProbing: async () => {
        chained++;
      },
      sleep: async () => {},
    });

    await expect(env.trip('down')).rejects.toThrow('ResourceInUseException');

    expect(store.item).toMatchObject({ state: 'open', generation: 1 });
    expect(chained).toBe(1);
  });

  it('regression (review): a ramp left on the item after the ramp was turned off still ends at the full concurrency', async () => {
    const { store, mapping, environment } = world({ ramp: { ...ramp, ms: 0 } });
    store.item = { pk: 'BREAKER#provider', state: 'closed', generation: 2, paused: false, rampUntil: 2_000_000 };
    mapping.concurrency = 2;

    expect((await environment().probeRound(1_000, true)).outcome).toBe('ramped');

    expect(mapping.concurrency).toBe(ramp.fullConcurrency);
    expect(store.item?.rampUntil).toBeUndefined();
  });

  it('never probes one due slot twice, never resumes while open, and always ends closed, resumed and at full concurrency once the provider is back (any interleaving of trips, chain and backstop rounds, with or without the resume ramp)', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('trip' as const), env: fc.nat(2) }),
      fc.record({ kind: fc.constant('round' as const), env: fc.nat(2), fromChain: fc.boolean(), budgetMs: fc.integer({ min: 0, max: 12_000 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 15_000 }) }),
      fc.record({ kind: fc.constant('heal' as const) }),
      // An environment that pauses for the opening before the current one (a stale cached view), e.g. just after a resume.
      fc.record({ kind: fc.constant('stale-pause' as const), env: fc.nat(2) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), fc.boolean(), async (steps, ramped) => {
        const { clock, store, mapping, provider, environment } = world(ramped ? { ramp } : {});
        const environments = [environment(), environment(), environment()];
        for (const action of steps) {
          if (action.kind === 'trip' && !provider.up) await environments[action.env]!.trip('down');
          if (action.kind === 'round') await Promise.all([environments[action.env]!.probeRound(action.budgetMs, action.fromChain), environments[(action.env + 1) % 3]!.probeRound(action.budgetMs, !action.fromChain)]);
          if (action.kind === 'wait') clock.time += action.ms;
          if (action.kind === 'heal') provider.up = true;
          if (action.kind === 'stale-pause' && store.item && store.item.generation > 0) await environments[action.env]!.ensurePaused(store.item.generation - 1);
          if (store.item?.state === 'open') expect(mapping.enabled).toBe(false);
          // Closed and resumed (not left for a prober to resume): nothing may hold the mapping disabled.
          if (store.item?.state === 'closed' && !store.item.paused) expect(mapping.enabled).toBe(true);
        }
        const slots = store.claims.map((claim) => `${claim.generation}@${claim.due}`);
        expect(new Set(slots).size).toBe(slots.length);

        // The provider comes back; the backstop alone (one round a minute) closes and resumes.
        provider.up = true;
        for (let minute = 0; minute < 4 && (store.item?.state === 'open' || store.item?.paused || store.item?.rampUntil !== undefined); minute++) {
          clock.time += 60_000;
          await environments[0]!.probeRound(60_000, false);
        }
        expect(store.item?.state ?? 'closed').toBe('closed');
        expect(mapping.enabled).toBe(true);
        // And back at full concurrency: no ramp is left half done.
        expect(store.item?.rampUntil).toBeUndefined();
        expect(mapping.concurrency).toBe(5);
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
