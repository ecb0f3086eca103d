import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import * as z from 'zod';
import { InvalidConfigurationError, optionalWholeNumber, requireEnv } from '#shared/config';
import { metrics } from '#shared/metrics';
import { instrumented, logger, tracer } from '#shared/powertools';
import { resolveTables, tableRefsSchema, type ResolvedTables } from '../adapters/cloudformation-tables';
import { auditSourcesSchema, regionalClients, snapshotReader } from '../adapters/snapshot-reader';
import { defaultAuditOptions } from '../domain/report';
import { scheduledAudit } from './scheduled-audit';

/** As the CLI's sources, except that another region's table is known by its stack (see cloudformation-tables.ts). */
const sourcesSchema = auditSourcesSchema.extend({ tables: tableRefsSchema });

function readSources(): z.infer<typeof sourcesSchema> {
  const raw = requireEnv('AUDIT_SOURCES');
  try {
    return sourcesSchema.parse(JSON.parse(raw));
  } catch (error) {
    throw new InvalidConfigurationError(`environment variable AUDIT_SOURCES is not a valid source list: ${(error as Error).message}`);
  }
}

const sources = readSources();
const options = {
  outboxBound: optionalWholeNumber('OUTBOX_BOUND_SECONDS', defaultAuditOptions.outboxBound, { unit: 'seconds' }),
  grace: optionalWholeNumber('GRACE_SECONDS', defaultAuditOptions.grace, { unit: 'seconds' }),
  defaultDeadline: optionalWholeNumber('DEFAULT_DEADLINE_SECONDS', defaultAuditOptions.defaultDeadline, { unit: 'seconds', positive: true }),
  confirmAfterMs: optionalWholeNumber('CONFIRM_AFTER_SECONDS', 10, { unit: 'seconds' }) * 1000,
};
const segments = optionalWholeNumber('SCAN_SEGMENTS', 4, { unit: 'segments', positive: true });

const clients = regionalClients((region) => ({ region }), (client) => tracer.captureAWSv3Client(client));
const cloudFormation = new Map<string, CloudFormationClient>();
const cloudFormationIn = (region: string) => {
  if (!cloudFormation.has(region)) cloudFormation.set(region, tracer.captureAWSv3Client(new CloudFormationClient({ region })));
  return cloudFormation.get(region)!;
};
// Names, once found, are kept for the life of the execution environment; what could not be found is looked up again next run.
let known: ResolvedTables['tables'] = {};

const ports = {
  async readSnapshot() {
    const pending = Object.fromEntries(Object.entries(sources.tables).filter(([source]) => !(source in known)));
    const { tables, unresolved } = await resolveTables(pending, cloudFormationIn);
    known = { ...known, ...tables };
    const snapshot = await snapshotReader({ tables: known, ...(sources.deadLetterQueues ? { deadLetterQueues: sources.deadLetterQueues } : {}) }, clients, { segments })();
    const unreadable = [...(snapshot.unreadable ?? []), ...unresolved];
    return { ...snapshot, ...(unreadable.length > 0 ? { unreadable } : {}) };
  },
  clock: { now: () => new Date() },
};

/** Scheduled (EventBridge rule): audits every invariant and publishes InvariantViolations. */
export const handler = instrumented(scheduledAudit({ ports, options, metrics, logger }));
