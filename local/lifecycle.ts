/**
 * Bringing the local cloud up, in timed phases: install ministack (once),
 * start it, deploy the app with the CDK CLI and the local fix-ups, seed stock.
 * Shared by local/cli.ts (demo, start, up) and the e2e environment.
 */
import type { Deployment } from '../cli/deployment';
import { deployLocal } from './deploy';
import { DEFAULT_PORT, ensureMinistack, startLocalCloud, type LocalCloud } from './ministack';
import { say } from './paths';
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

/**
 * The body of a one-command npm script (`npm run bench`, `npm run experiment`):
 * without DUCKSTORE_ENDPOINT, bring a local cloud up on DUCKSTORE_LOCAL_PORT
 * (install, start, deploy, seed, as `npm run demo` does), run `work` against
 * it, and stop it again, also on Ctrl-C; with DUCKSTORE_ENDPOINT, run `work`
 * against that running cloud. Exits the process with `work`'s exit code.
 */
export async function runAgainstLocalCloud(component: string, work: () => Promise<number>, options: { beforeStart?: () => void } = {}): Promise<never> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let cloud: LocalCloud | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      say(component, `${signal}: stopping`);
      void (cloud?.stop() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  let code = 1;
  try {
    if (!process.env.DUCKSTORE_ENDPOINT) {
      options.beforeStart?.();
      const timings = new PhaseTimings();
      const up = await bringUp(timings, {
        port: Number(process.env.DUCKSTORE_LOCAL_PORT || DEFAULT_PORT),
        onStarted: (started) => {
          cloud = started;
        },
      });
      if (up.cloud.pid === undefined) say(component, `reusing the ministack already running at ${up.cloud.endpoint}`);
      say(component, `local cloud ready (${timings.summary()})`);
      process.env.DUCKSTORE_ENDPOINT = up.cloud.endpoint;
    }
    code = await work();
  } catch (error) {
    console.error(`${component}: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await cloud?.stop();
  }
  process.exit(code);
}
