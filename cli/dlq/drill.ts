import type { AuditReport } from '../../functions/auditor/domain/report';
import { auditUntilGreen } from '../../functions/auditor/domain/use-cases';
import { regionOf } from '../../lib/topology';
import { OrdersApiClient } from '../api-client';
import { auditPortsOf } from '../audit-sources';
import { placeOrders } from '../chaos/load';
import { chargeAfterCancelOf, formatChargeAfterCancel, type ChargeAfterCancel } from '../chaos/measure';
import { ordersApiUrl, type Deployment } from '../deployment';
import { clearAllFaults, consumerFunctionOf, mappingOf, mappingState, setProviderFaults } from '../faults';
import { actorOf, writeAuditRecord } from '../operations-audit';
import { deadLetterQueuesOf, type DeadLetterQueueInfo } from './catalog';
import { depthOf, redrive, type RedriveOutcome } from './redrive';

export interface DrillOptions {
  /** Orders placed during the outage. @default 12 */
  orders?: number;
  /** How long the provider stays down once the payments consumer has paused (the detection). @default 30 s */
  outageSeconds?: number;
  /** Longest to wait for the consumer to pause; past it the drill heals anyway and reports no detection. @default 120 s */
  maxDetectSeconds?: number;
  /** Longest to wait for the auditor to be green after the heal. @default 600 s */
  recoveryTimeoutSeconds?: number;
  actor?: string;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface DrillReport {
  ok: boolean;
  ordersPlaced: number;
  /** Final status → orders of the drill. */
  orderOutcomes: Record<string, number>;
  /** Outage start → the payments consumer paused by its shared breaker (its event source mapping Disabled). */
  timeToDetectSeconds: number | undefined;
  /** Outage start → heal. */
  outageSeconds: number;
  /** Heal → every order of the drill ended, every queue drained, the auditor green, with no operator command in between. */
  timeToRecoverSeconds: number | undefined;
  /** Messages in any DLQ after the outage: none is the goal (a provider outage parks nothing). */
  deadLettered: { queue: string; messages: number }[];
  /** Operator commands the recovery needed: redrives of DLQs that held messages after all. The goal is none. */
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
 *    keep coming; payments fail, the breaker opens;
 * 2. detection: the payments consumer paused by its shared breaker (its
 *    mapping Disabled: from then on nothing is received, nothing burns a receive);
 * 3. heal (`clearAllFaults`) after `outageSeconds` more;
 * 4. nothing: a probe finds the provider back and resumes the consumer. The
 *    clock stops when every order has ended, every queue is empty and the
 *    auditor is green. Only a DLQ that holds messages after all gets the
 *    runbook's redrive, and it counts as an operator action.
 */
export async function runDrill(deployment: Deployment, options: DrillOptions = {}): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  const wait = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const paymentsRegion = regionOf(deployment.topology, 'payments');
  const queues = deadLetterQueuesOf(deployment);
  const paymentsDlq = queues.find((queue) => queue.region === paymentsRegion && queue.name === 'PaymentsConsumerDeadLetters');
  if (!paymentsDlq?.sourceQueueUrl) throw new Error('no payments consumer queue and DLQ found');
  const paymentsQueue: Pick<DeadLetterQueueInfo, 'region' | 'url'> = { region: paymentsRegion, url: paymentsDlq.sourceQueueUrl };
  const consumer = consumerFunctionOf(deployment, 'payments');
  const mapping = await mappingOf(deployment, consumer.region, consumer.functionName);
  const startedAt = new Date().toISOString();

  await clearAllFaults(deployment);
  const before = await Promise.all(queues.map(async (queue) => ({ queue, ...(await depthOf(deployment, queue)) })));
  const busy = before.filter((entry) => entry.visible + entry.inFlight > 0);
  if (busy.length > 0) log(`note: DLQs not empty before the drill: ${busy.map((entry) => entry.queue.name).join(', ')} (the drill redrives them, and counts it)`);

  const api = new OrdersApiClient(ordersApiUrl(deployment), process.env.DUCKSTORE_TOKEN);
  const placed: { orderId: string }[] = [];
  let outageStart = 0;
  let detectedAt: number | undefined;
  let healedAt = 0;
  const deadLettered: DrillReport['deadLettered'] = [];
  try {
    await setProviderFaults(deployment, { outage: true });
    outageStart = Date.now();
    log('outage: provider down');

    const load = await placeOrders(api, { orders: options.orders ?? 12, concurrency: 2, ratePerSecond: 4, skus: ['DUCK-CLASSIC', 'DUCK-PIRATE', 'DUCK-NINJA'] }, { runId: `drill-${Date.now()}` });
    placed.push(...load.orders);
    log(`load: ${load.orders.length} order(s) placed during the outage, ${load.rejected.length} rejected`);

    const detectDeadline = outageStart + (options.maxDetectSeconds ?? 120) * 1000;
    while (detectedAt === undefined && Date.now() < detectDeadline) {
      if ((await mappingState(deployment, consumer.region, mapping)) === 'Disabled') {
        detectedAt = Date.now();
        log(`detected: payments consumer paused by its breaker ${seconds(outageStart, detectedAt)} s into the outage`);
      } else await wait(500);
    }
    await wait((options.outageSeconds ?? 30) * 1000);
  } finally {
    await clearAllFaults(deployment);
    healedAt = Date.now();
  }
  log(`healed after ${seconds(outageStart, healedAt)} s of outage; no operator action: the breaker's probe resumes the consumer`);
  for (const queue of queues) {
    const depth = await depthOf(deployment, queue);
    if (depth.visible + depth.inFlight > 0) deadLettered.push({ queue: queue.name, messages: depth.visible + depth.inFlight });
  }
  log(`dead letters: ${deadLettered.map((entry) => `${entry.queue}=${entry.messages}`).join(' ') || 'none'}`);
  const redrives: RedriveOutcome[] = [];
  for (const queue of queues.filter((candidate) => deadLettered.some((entry) => entry.queue === candidate.name))) {
    const outcome = await redrive(deployment, queue, { filter: {}, dryRun: false, ratePerSecond: 50, ...(options.actor ? { actor: options.actor } : {}) });
    log(`operator action: redrive ${queue.name}: ${outcome.moved} moved (${outcome.method})`);
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
    ok: recoveredAt !== undefined && detectedAt !== undefined && redrives.length === 0,
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
    count: redrives.length,
    startedAt,
    finishedAt: new Date().toISOString(),
    details: { timeToDetectSeconds: result.timeToDetectSeconds, outageSeconds: result.outageSeconds, timeToRecoverSeconds: result.timeToRecoverSeconds, deadLettered, auditOk: report.ok, authorizeThenRefund: result.chargeAfterCancel.authorizeThenRefund },
  });
  return { ...result, auditRecord };
}
