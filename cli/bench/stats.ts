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
 * Where throughput stops rising: the level after the first one that reached
 * the plateau (within `minGain`, default 10 %, of the best throughput of the
 * run), that is the first level that no longer gained. A dip on the way up
 * (noise on a shared machine) does not count when a later level rose above
 * it. Undefined when the plateau is only reached at the last level.
 */
export function saturationLevel(levels: readonly { concurrency: number; throughput: number }[], minGain = 0.1): number | undefined {
  const best = Math.max(0, ...levels.map((level) => level.throughput));
  const plateau = levels.findIndex((level) => level.throughput * (1 + minGain) >= best);
  return plateau >= 0 ? levels[plateau + 1]?.concurrency : undefined;
}
