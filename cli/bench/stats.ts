import { percentile } from '../stats';

export { percentile };

/** Median of a sample (the mean of the middle two for an even count); undefined for an empty one. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `value / floor`, rounded to 2 decimals; undefined when either is missing or the floor is 0. */
export function ratio(value: number | undefined, floor: number | undefined): number | undefined {
  if (value === undefined || floor === undefined || floor === 0) return undefined;
  return Math.round((value / floor) * 100) / 100;
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Where throughput stops rising: the first level whose throughput is not at
 * least `minGain` (default 10 %) above the best level before it. Undefined
 * when every level still gained.
 */
export function saturationLevel(levels: readonly { concurrency: number; throughput: number }[], minGain = 0.1): number | undefined {
  let best = 0;
  for (const level of levels) {
    if (best > 0 && level.throughput < best * (1 + minGain)) return level.concurrency;
    best = Math.max(best, level.throughput);
  }
  return undefined;
}
