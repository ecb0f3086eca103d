import type { Command } from '../command';
import { discoverDeployment } from '../deployment';
import { replayRegions, ReplayError } from '../dlq/replay';
import { UsageError } from '../targets';

/** An ISO time, `now`, or a duration ago (`15m`, `2h`, `90s`). */
export function timeFlag(name: string, raw: string | undefined, now = new Date()): Date {
  if (raw === undefined) throw new UsageError(`--${name} is required`);
  if (raw === 'now') return now;
  const ago = /^(\d+)(s|m|h|d)$/.exec(raw);
  if (ago) return new Date(now.getTime() - Number(ago[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd']);
  const time = new Date(raw);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--${name} takes an ISO time, now, or an age like 15m, got "${raw}"`);
  return time;
}

export const replayCommand: Command = {
  name: 'replay',
  usage: 'replay --from TIME --to TIME [--pattern JSON] [--dry-run] [--actor NAME]   (TIME: ISO, now, 15m)',
  summary: "replay a window of each region's event archive onto its bus (consumers are idempotent on eventId); audited",
  options: { from: { type: 'string' }, to: { type: 'string' }, pattern: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, actor: { type: 'string' } },
  async run(context) {
    const now = new Date();
    const from = timeFlag('from', context.values.from as string | undefined, now);
    const to = timeFlag('to', (context.values.to as string | undefined) ?? 'now', now);
    let pattern: { source?: string[]; 'detail-type'?: string[] } | undefined;
    if (context.values.pattern !== undefined) {
      try {
        pattern = JSON.parse(String(context.values.pattern)) as typeof pattern;
      } catch {
        throw new UsageError('--pattern takes a JSON event pattern, e.g. {"detail-type":["OrderPlaced"]}');
      }
    }
    const deployment = await discoverDeployment(context.target, context.topology);
    const regions = deployment.regions.map((region) => region.region).filter((region) => context.region === undefined || region === context.region);
    let outcomes;
    try {
      outcomes = await replayRegions(
        deployment,
        {
          from,
          to,
          dryRun: Boolean(context.values['dry-run']),
          ...(pattern ? { pattern } : {}),
          ...(context.values.actor ? { actor: String(context.values.actor) } : {}),
        },
        regions,
      );
    } catch (error) {
      if (error instanceof ReplayError) {
        context.out(`duckstore replay: ${error.message}`);
        return 1;
      }
      throw error;
    }
    if (context.json) context.out(JSON.stringify({ target: context.target.name, outcomes }, null, 2));
    else {
      for (const outcome of outcomes) {
        context.out(
          `${outcome.region}: replay ${outcome.replayName ?? (outcome.state === 'NO_MATCHING_RULE' ? '(no rule here accepts the pattern)' : '(dry run)')} of ${outcome.archive} ${outcome.from} .. ${outcome.to}: ${outcome.state}` +
            `${outcome.rules.length ? ` to ${outcome.rules.length} rule(s)` : outcome.state === 'NO_MATCHING_RULE' ? '' : ' to every rule'}; archive holds ${outcome.archivedEvents ?? '?'} event(s)${outcome.auditRecord ? `; audit ${outcome.auditRecord}` : ''}`,
        );
      }
    }
    if (outcomes.every((outcome) => outcome.state === 'NO_MATCHING_RULE')) {
      context.out(`duckstore replay: no rule in ${regions.join(', ')} accepts ${JSON.stringify(pattern)}`);
      return 1;
    }
    return outcomes.every((outcome) => ['COMPLETED', 'DRY_RUN', 'NO_MATCHING_RULE'].includes(outcome.state)) ? 0 : 1;
  },
};
