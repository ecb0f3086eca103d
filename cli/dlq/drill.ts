import type { AuditReport } from '../../functions/auditor/domain/report';
import { auditUntilGreen } from '../../functions/auditor/domain/use-cases';
import { regionOf } from '../../lib/topology';
import { OrdersApiClient } from '../api-client';
import { auditPortsOf } from '../audit-sources';
import { placeOrders } from '../chaos/load';
import { chargeAfterCancelOf, formatChargeAfterCancel, type ChargeAfterCancel } from '../chaos/measure';
import { ordersApiUrl, type Deployment } from '../deployment';
import { clearAllFaults, setProviderFaults, setResilienceProfile } from '../faults';
import { actorOf, writeAuditRecord } from '../operations-audit';
import { deadLetterQueuesOf, type DeadLetterQueueInfo } from './catalog';
import { depthOf, redrive, type RedriveOutcome } from './redrive';

export interface DrillOptions {
  /** Orders placed during the outage. @default 12 */
  orders?: number;
  /** Longest the outage lasts; it ends sooner once every order's payment has been dead-lettered. @default 600 s */
  maxOutageSeconds?: number;
  /**
   * Local cloud only: the longest redelivery backoff of the payments consumer
   * during the outage (profile `timeouts,redeliveryMaxSeconds=N` through the
   * control document), so its five failed receives take seconds rather than
   * minutes. The profile has no circuit breaker: an open breaker's cooldown
   * is added to every redelivery, which spreads the five receives past the
   * deadline − margin, where payments declines by itself (DEADLINE_PASSED)
   * and nothing is dead-lettered. Cleared with the outage, before the
   * recovery is timed with the deployed profile.
   * @default 3 on local/localstack, unchanged on AWS
   */
  fillRedeliverySeconds?: number;
  /** Longest to wait for the auditor to be green after the runbook's commands. @default 600 s */
  recoveryTimeoutSeconds?: number;
  /** Wait after the heal before redriving, so the provider client's breaker has half-opened (runbook step 2). @default 15 */
  breakerCooldownSeconds?: number;
  actor?: string;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface DrillReport {
  ok: boolean;
  ordersPlaced: number;
  /** Final status → orders of the drill. */
  orderOutcomes: Record<string, number>;
  /** Outage start → first message seen in a DLQ (on AWS, the DLQ alarm fires within a minute of it). */
  timeToDetectSeconds: number | undefined;
  /** Outage start → heal. */
  outageSeconds: number;
  /** Heal → the runbook's commands done, every order of the drill ended, every queue drained, the auditor green. */
  timeToRecoverSeconds: number | undefined;
  deadLettered: { queue: string; messages: number }[];
  redrives: RedriveOutcome[];
  audit: Pick<AuditReport, 'ok' | 'auditedAt'> & { failed: string[] };
  /** Invariant 8, and the drill's orders authorized then refunded, split into those cancelled during the outage and after the heal. */
  chargeAfterCancel: ChargeAfterCancel;
  auditRecord: string;
}

const seconds = (from: number, to: number) => Math.round((to - from) / 100) / 10;

/**
 * The recovery drill of runbooks/payment-provider-outage.md, timed:
 * 1. the provider goes down (`setProviderFaults({ outage: true })`) and orders
 *    keep coming; payments fail, are retried, and are dead-lettered;
 * 2. detection: the first message in a DLQ (what the DLQ alarm watches);
 * 3. heal (`clearAllFaults`) once the payments queue has drained into the DLQ;
 * 4. the runbook: `dlq redrive` of every DLQ with messages, and of every
 *    outbox (the sweep), then `audit --wait` until green; the clock stops there.
 */
export async function runDrill(deployment: Deployment, options: DrillOptions = {}): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  const wait = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const paymentsRegion = regionOf(deployment.topology, 'payments');
  const queues = deadLetterQueuesOf(deployment);
  const paymentsDlq = queues.find((queue) => queue.region === paymentsRegion && queue.name === 'PaymentsConsumerDeadLetters');
  if (!paymentsDlq?.sourceQueueUrl) throw new Error('no payments consumer queue and DLQ found');
  const paymentsQueue: Pick<DeadLetterQueueInfo, 'region' | 'url'> = { region: paymentsRegion, url: paymentsDlq.sourceQueueUrl };
  const fillRedelivery = options.fillRedeliverySeconds ?? (deployment.target.name === 'aws' ? undefined : 3);
  const startedAt = new Date().toISOString();

  await clearAllFaults(deployment);
  const before = await Promise.all(queues.map(async (queue) => ({ queue, ...(await depthOf(deployment, queue)) })));
  const busy = before.filter((entry) => entry.visible + entry.inFlight > 0);
  if (busy.length > 0) log(`note: DLQs not empty before the drill: ${busy.map((entry) => entry.queue.name).join(', ')} (the runbook redrives them too)`);

  const api = new OrdersApiClient(ordersApiUrl(deployment), process.env.DUCKSTORE_TOKEN);
  const placed: { orderId: string }[] = [];
  let outageStart = 0;
  let detectedAt: number | undefined;
  let healedAt = 0;
  const deadLettered: DrillReport['deadLettered'] = [];
  try {
    if (fillRedelivery !== undefined) await setResilienceProfile(deployment, `timeouts,redeliveryMaxSeconds=${fillRedelivery}`);
    await setProviderFaults(deployment, { outage: true });
    outageStart = Date.now();
    log(`outage: provider down${fillRedelivery !== undefined ? ` (payments redelivery backoff at most ${fillRedelivery} s and no breaker while it lasts)` : ''}`);

    const load = await placeOrders(api, { orders: options.orders ?? 12, concurrency: 2, ratePerSecond: 4, skus: ['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA'] }, { runId: `drill-${Date.now()}` });
    placed.push(...load.orders);
    log(`load: ${load.orders.length} order(s) placed during the outage, ${load.rejected.length} rejected`);

    const outageDeadline = outageStart + (options.maxOutageSeconds ?? 600) * 1000;
    for (;;) {
      const dlq = await depthOf(deployment, paymentsDlq);
      const queue = await depthOf(deployment, paymentsQueue);
      if (detectedAt === undefined) {
        const anyDlq = dlq.visible > 0 || (await Promise.all(queues.map((candidate) => depthOf(deployment, candidate)))).some((depth) => depth.visible > 0);
        if (anyDlq) {
          detectedAt = Date.now();
          log(`detected: first dead letter after ${seconds(outageStart, detectedAt)} s`);
        }
      }
      // Filled: nothing of the payments queue left to fail (everything is in the DLQ, or went through as a no-op).
      if (detectedAt !== undefined && queue.visible + queue.inFlight === 0) break;
      if (Date.now() > outageDeadline) break;
      await wait(1000);
    }
  } finally {
    // Also ends the shortened redelivery backoff: the profile goes back to the default.
    await clearAllFaults(deployment);
    healedAt = Date.now();
  }
  log(`healed after ${seconds(outageStart, healedAt)} s of outage`);
  for (const queue of queues) {
    const depth = await depthOf(deployment, queue);
    if (depth.visible + depth.inFlight > 0) deadLettered.push({ queue: queue.name, messages: depth.visible + depth.inFlight });
  }
  log(`dead letters: ${deadLettered.map((entry) => `${entry.queue}=${entry.messages}`).join(' ') || 'none'}`);

  // The runbook, step 2: do not redrive into an open breaker (refused messages would spend a receive and wait out a backoff).
  const cooldownSeconds = options.breakerCooldownSeconds ?? 15;
  log(`waiting ${cooldownSeconds} s for the payments circuit breaker to half-open (cooldown 10 s)`);
  await wait(cooldownSeconds * 1000);
  // Step 3–4: redrive every DLQ holding messages, and every outbox (its sweep has no queue depth to show).
  const redrives: RedriveOutcome[] = [];
  for (const queue of queues) {
    const depth = await depthOf(deployment, queue);
    if (queue.kind !== 'outbox' && depth.visible + depth.inFlight === 0) continue;
    const actor = options.actor ? { actor: options.actor } : {};
    // A canary of two first: a half-open breaker lets two trial calls through and refuses the rest of a burst.
    if (queue.kind === 'consumer' || queue.kind === 'forwarding') {
      const canary = await redrive(deployment, queue, { filter: {}, dryRun: false, limit: 2, ...actor });
      if (canary.moved > 0) {
        log(`redrive ${queue.name}: canary of ${canary.moved}`);
        redrives.push(canary);
        await wait(3000);
      }
    }
    const outcome = await redrive(deployment, queue, { filter: {}, dryRun: false, ratePerSecond: 50, ...actor });
    if (outcome.matched > 0) log(`redrive ${queue.name}: ${outcome.moved} moved (${outcome.method})`);
    redrives.push(outcome);
  }
  // Recovered means: every order of the drill ended, every queue drained, and the auditor green with tight bounds
  // (its defaults give a young order minutes before a missing row counts, which would stop the clock too early).
  const recoveryDeadline = healedAt + (options.recoveryTimeoutSeconds ?? 600) * 1000;
  let pending = placed.map((order) => order.orderId);
  const outcomes: Record<string, number> = {};
  while (pending.length > 0 && Date.now() < recoveryDeadline) {
    const statuses = await Promise.all(pending.map(async (orderId) => ({ orderId, status: (await api.getOrder(orderId)).status })));
    for (const { status } of statuses.filter((order) => order.status !== 'PENDING')) outcomes[status] = (outcomes[status] ?? 0) + 1;
    pending = statuses.filter((order) => order.status === 'PENDING').map((order) => order.orderId);
    if (pending.length > 0) await wait(1000);
  }
  log(`orders: ${placed.length - pending.length} of ${placed.length} ended ${seconds(healedAt, Date.now())} s after the heal (${Object.entries(outcomes).map(([status, count]) => `${status} ${count}`).join(', ')})`);
  const drained = async () => (await Promise.all([...queues, paymentsQueue].map((queue) => depthOf(deployment, queue)))).every((depth) => depth.visible + depth.inFlight === 0);
  while (!(await drained()) && Date.now() < recoveryDeadline) await wait(1000);
  const ports = auditPortsOf(deployment);
  let report: AuditReport;
  try {
    ({ report } = await auditUntilGreen(ports, { outboxBound: 10, grace: 10, timeoutMs: Math.max(1000, recoveryDeadline - Date.now()), intervalMs: 2000 }));
  } finally {
    ports.destroy();
  }
  const recoveredAt = report.ok && pending.length === 0 ? Date.now() : undefined;
  const result: Omit<DrillReport, 'auditRecord'> = {
    ok: recoveredAt !== undefined && detectedAt !== undefined,
    ordersPlaced: placed.length,
    orderOutcomes: outcomes,
    timeToDetectSeconds: detectedAt === undefined ? undefined : seconds(outageStart, detectedAt),
    outageSeconds: seconds(outageStart, healedAt),
    timeToRecoverSeconds: recoveredAt === undefined ? undefined : seconds(healedAt, recoveredAt),
    deadLettered,
    redrives,
    audit: { ok: report.ok, auditedAt: report.auditedAt, failed: report.invariants.filter((invariant) => !invariant.passed).map((invariant) => `${invariant.id} ${invariant.title}`) },
    chargeAfterCancel: chargeAfterCancelOf(report, new Set(placed.map((order) => order.orderId)), healedAt),
  };
  log(`recovered: ${result.timeToRecoverSeconds === undefined ? 'NOT green' : `auditor green ${result.timeToRecoverSeconds} s after the heal`}`);
  log(formatChargeAfterCancel(result.chargeAfterCancel));
  const auditRecord = await writeAuditRecord(deployment, {
    action: 'drill',
    actor: actorOf(options.actor),
    subject: 'payment provider outage',
    region: paymentsRegion,
    target: deployment.target.name,
    dryRun: false,
    count: redrives.reduce((sum, outcome) => sum + outcome.moved, 0),
    startedAt,
    finishedAt: new Date().toISOString(),
    details: { timeToDetectSeconds: result.timeToDetectSeconds, outageSeconds: result.outageSeconds, timeToRecoverSeconds: result.timeToRecoverSeconds, deadLettered, auditOk: report.ok, authorizeThenRefund: result.chargeAfterCancel.authorizeThenRefund },
  });
  return { ...result, auditRecord };
}
