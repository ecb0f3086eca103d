/**
 * Bringing the local cloud up, in timed phases: install ministack (once),
 * start it, deploy the app with the CDK CLI and the local fix-ups, seed stock.
 * Shared by local/cli.ts (demo, start, up) and the e2e environment.
 */
import type { Deployment } from '../cli/deployment';
import { deployLocal } from './deploy';
import { ensureMinistack, startLocalCloud, type LocalCloud } from './ministack';
import { seedStock } from './seed';

/** Seconds spent in each phase, in the order the phases ran. */
export class PhaseTimings {
  readonly seconds = new Map<string, number>();

  async time<T>(phase: string, work: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.seconds.set(phase, (this.seconds.get(phase) ?? 0) + (performance.now() - start) / 1000);
    }
  }

  /** `install 0.3 s, start 1.2 s, …, total 61.0 s` */
  summary(): string {
    const phases = [...this.seconds].map(([phase, seconds]) => `${phase} ${seconds.toFixed(1)} s`);
    const total = [...this.seconds.values()].reduce((sum, seconds) => sum + seconds, 0);
    return [...phases, `total ${total.toFixed(1)} s`].join(', ');
  }
}

export interface BringUpOptions {
  /** @default $DUCKSTORE_LOCAL_PORT or 4566 */
  port?: number;
  /** Let ministack outlive this process (`local:up`, `demo --keep-running`); `local/cli.ts down` stops it. @default false */
  detached?: boolean;
  /** Keep state in .local/state across restarts. @default false */
  persist?: boolean;
  /** Stream the CDK CLI's output to stderr. @default false (it goes to .local/cdk.log) */
  verbose?: boolean;
  /** Reset the stock of every SKU after the deploy. @default true */
  seed?: boolean;
  /** Called as soon as ministack is healthy, before the deploy: lets a caller stop it on Ctrl-C. */
  onStarted?: (cloud: LocalCloud) => void;
}

export interface LocalCloudUp {
  cloud: LocalCloud;
  deployment: Deployment;
}

/**
 * install → start → deploy → seed. The app is always deployed, also into a
 * ministack found running on the port: it must run the code of this checkout
 * (an unchanged app redeploys in about 10 s, mostly synth and bundling). If a
 * phase fails, a cloud started here and not detached is stopped again.
 */
export async function bringUp(timings: PhaseTimings, options: BringUpOptions = {}): Promise<LocalCloudUp> {
  await timings.time('install', () => ensureMinistack());
  const cloud = await timings.time('start', () =>
    startLocalCloud({ ...(options.port ? { port: options.port } : {}), detached: options.detached ?? false, persist: options.persist ?? false }),
  );
  options.onStarted?.(cloud);
  try {
    const { deployment } = await timings.time('deploy', () => deployLocal({ endpoint: cloud.endpoint, verbose: options.verbose ?? false }));
    if (options.seed ?? true) await timings.time('seed', () => seedStock(deployment));
    return { cloud, deployment };
  } catch (error) {
    if (!options.detached) await cloud.stop();
    throw error;
  }
}
