import type { ContextName } from '#contracts/envelope';
import type { Deployment } from '../deployment';
import {
  clearAllFaults,
  healPartition,
  partitionRegions,
  setFunctionFaults,
  setProviderFaults,
  setProviderIdempotency,
  setResilienceProfile,
  setSagaDeadline,
  throttleConsumer,
} from '../faults';
import { providerCallCount } from './provider-calls';
import type { FaultDriver } from './runner';

/**
 * The runner's faults on a real deployment, through cli/faults.ts (the same
 * calls `duckstore faults …` makes). It remembers what it throttled and
 * partitioned, so `clearAll` undoes exactly that, plus every control.
 */
export function faultDriverOf(deployment: Deployment): FaultDriver {
  const throttled = new Set<ContextName>();
  let partitioned = false;
  return {
    setProviderFaults: (faults) => setProviderFaults(deployment, faults),
    setFunctionFaults: (faults) => setFunctionFaults(deployment, faults),
    setResilienceProfile: (profile) => setResilienceProfile(deployment, profile),
    setProviderIdempotency: (enabled) => setProviderIdempotency(deployment, enabled),
    setSagaDeadline: (seconds) => setSagaDeadline(deployment, seconds),
    async partition() {
      partitioned = true;
      await partitionRegions(deployment);
    },
    async healPartition() {
      await healPartition(deployment);
      partitioned = false;
    },
    async throttle(context, concurrency) {
      throttled.add(context);
      await throttleConsumer(deployment, context, concurrency);
    },
    async unthrottle(context) {
      await throttleConsumer(deployment, context, undefined);
      throttled.delete(context);
    },
    async clearAll() {
      // Each undo is attempted even if another fails; the first failure is reported.
      const results = await Promise.allSettled([
        clearAllFaults(deployment),
        ...(partitioned ? [healPartition(deployment).then(() => (partitioned = false))] : []),
        ...[...throttled].map((context) => throttleConsumer(deployment, context, undefined).then(() => throttled.delete(context))),
      ]);
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
    providerCalls: () => providerCallCount(deployment),
  };
}
