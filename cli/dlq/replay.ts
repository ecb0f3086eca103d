import { randomUUID } from 'node:crypto';
import {
  CreateArchiveCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  ListRulesCommand,
  StartReplayCommand,
  type Rule,
} from '@aws-sdk/client-eventbridge';
import { eventArchiveName, eventArchiveRetentionDays } from '../../lib/constructs/operations-automation';
import type { Deployment } from '../deployment';
import { actorOf, writeAuditRecord } from '../operations-audit';

/** Every region's bus (lib/stacks/region-stack.ts). */
const busName = 'duckstore';
const archivePattern = { source: [{ prefix: 'duckstore.' }] };

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/**
 * Creates each region's event archive through the API where the stack could
 * not (the local cloud: ministack rolls back a stack holding
 * AWS::Events::Archive, but its API archives and replays). Same name and
 * pattern as lib/constructs/operations-automation.ts. Idempotent.
 */
export async function ensureEventArchives(deployment: Deployment): Promise<string[]> {
  const created: string[] = [];
  for (const { region } of deployment.regions) {
    const events = new EventBridgeClient(deployment.target.aws(region));
    try {
      await events.send(new DescribeArchiveCommand({ ArchiveName: eventArchiveName }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      const { Arn: busArn } = await events.send(new DescribeEventBusCommand({ Name: busName }));
      await events.send(new CreateArchiveCommand({ ArchiveName: eventArchiveName, EventSourceArn: busArn, EventPattern: JSON.stringify(archivePattern), RetentionDays: eventArchiveRetentionDays }));
      created.push(region);
    }
  }
  return created;
}

/**
 * The rules a replay is delivered to. StartReplay cannot filter events by a
 * pattern, only deliver to chosen rules (FilterArns). So `--pattern` picks
 * the rules whose own pattern accepts events of the pattern's sources and
 * detail types; those rules then get every archived event of the window they
 * match. Extra events are harmless: consumers are idempotent on eventId.
 */
export function rulesFor(rules: Pick<Rule, 'Arn' | 'EventPattern' | 'Name'>[], pattern: { source?: string[]; 'detail-type'?: string[] }): string[] {
  const overlaps = (wanted: string[] | undefined, accepted: unknown) => !wanted || !Array.isArray(accepted) || wanted.some((value) => accepted.includes(value));
  return rules
    .filter((rule) => {
      if (!rule.EventPattern) return false;
      const parsed = JSON.parse(rule.EventPattern) as { source?: unknown; 'detail-type'?: unknown };
      return overlaps(pattern.source, parsed.source) && overlaps(pattern['detail-type'], parsed['detail-type']);
    })
    .map((rule) => rule.Arn!)
    .sort();
}

export interface ReplayOptions {
  region: string;
  from: Date;
  to: Date;
  pattern?: { source?: string[]; 'detail-type'?: string[] };
  dryRun: boolean;
  actor?: string;
  /** Wait for the replay to complete. @default 10 minutes */
  timeoutMs?: number;
}

export interface ReplayOutcome {
  region: string;
  replayName: string | undefined;
  archive: string;
  from: string;
  to: string;
  rules: string[];
  state: string;
  /** Events in the archive in total (EventBridge does not count a replay's events). */
  archivedEvents: number | undefined;
  auditRecord: string;
}

/** Replays a window of a region's archive onto its bus, waits for it, and writes the audit record. */
export async function replay(deployment: Deployment, options: ReplayOptions): Promise<ReplayOutcome> {
  if (!(options.from < options.to)) throw new ReplayError('--from must be before --to');
  const startedAt = new Date().toISOString();
  const events = new EventBridgeClient(deployment.target.aws(options.region));
  let archive;
  try {
    archive = await events.send(new DescribeArchiveCommand({ ArchiveName: eventArchiveName }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') throw new ReplayError(`no archive ${eventArchiveName} in ${options.region}: deploy with duckstore:awsOnlyResources=true (AWS), or redeploy the local cloud`);
    throw error;
  }
  const busArn = archive.EventSourceArn!;
  let rules: string[] = [];
  if (options.pattern) {
    const { Rules = [] } = await events.send(new ListRulesCommand({ EventBusName: busName }));
    rules = rulesFor(Rules, options.pattern);
    // Nothing in this region consumes such events: nothing to replay here (another region may have rules for them).
    if (rules.length === 0) return { region: options.region, replayName: undefined, archive: eventArchiveName, from: options.from.toISOString(), to: options.to.toISOString(), rules, state: 'NO_MATCHING_RULE', archivedEvents: archive.EventCount, auditRecord: '' };
  }
  let replayName: string | undefined;
  let state = 'DRY_RUN';
  if (!options.dryRun) {
    replayName = `duckstore-${Date.now()}-${randomUUID().slice(0, 8)}`;
    await events.send(
      new StartReplayCommand({
        ReplayName: replayName,
        EventSourceArn: archive.ArchiveArn,
        EventStartTime: options.from,
        EventEndTime: options.to,
        Destination: { Arn: busArn, ...(rules.length > 0 ? { FilterArns: rules } : {}) },
      }),
    );
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      state = (await events.send(new DescribeReplayCommand({ ReplayName: replayName }))).State ?? 'UNKNOWN';
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(state) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  const outcome = { region: options.region, replayName, archive: eventArchiveName, from: options.from.toISOString(), to: options.to.toISOString(), rules, state, archivedEvents: archive.EventCount };
  const auditRecord = await writeAuditRecord(deployment, {
    action: 'replay',
    actor: actorOf(options.actor),
    subject: `${eventArchiveName} ${outcome.from}..${outcome.to}`,
    region: options.region,
    target: deployment.target.name,
    dryRun: options.dryRun,
    // EventBridge does not report how many events a replay sent; the archive's total is in details.
    count: 0,
    startedAt,
    finishedAt: new Date().toISOString(),
    details: { ...outcome, pattern: options.pattern },
  });
  return { ...outcome, auditRecord };
}

/**
 * `duckstore replay`: the same window replayed in each region, one after
 * another (each waits for its replay to end); the chaos step `replay-archive`
 * runs this too. @param regions default every region of the deployment
 */
export async function replayRegions(deployment: Deployment, options: Omit<ReplayOptions, 'region'>, regions = deployment.regions.map((region) => region.region)): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  for (const region of regions) outcomes.push(await replay(deployment, { ...options, region }));
  return outcomes;
}
