import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterQueuesOf } from '../../cli/dlq/catalog';
import { runDrill } from '../../cli/dlq/drill';
import { clearAllFaults, getControls, getProviderFaults } from '../../cli/faults';
import { listAuditRecords } from '../../cli/operations-audit';
import { System } from './helpers/system';

/**
 * The recovery drill of runbooks/payment-provider-outage.md, as `duckstore
 * drill` runs it: a provider outage under load until the payments consumer
 * pauses (its shared breaker open, its mapping Disabled), 30 s more, heal,
 * and no operator action: the clock stops when every order has ended and the
 * auditor is green. About a minute on the local cloud.
 */
let system: System;

beforeAll(async () => {
  system = await System.connect();
});

afterAll(async () => {
  await clearAllFaults(system.deployment);
});

describe('recovery drill', () => {
  it('pauses the payments consumer during a provider outage, parks nothing in a DLQ, and recovers with no operator action within 10 minutes of the heal, auditor green', async () => {
    const lines: string[] = [];
    const report = await runDrill(system.deployment, { orders: 6, recoveryTimeoutSeconds: 600, actor: 'e2e-drill', log: (line) => lines.push(line) });
    console.info(lines.map((line) => `[drill] ${line}`).join('\n'));

    expect(report.timeToDetectSeconds, 'the payments consumer paused').toBeGreaterThan(0);
    expect(report.deadLettered, 'messages in a DLQ after the outage').toEqual([]);
    expect(report.redrives, 'operator actions').toEqual([]);
    expect(report.audit, `auditor: ${report.audit.failed.join(', ')}`).toMatchObject({ ok: true, failed: [] });
    expect(report.ok).toBe(true);
    expect(report.timeToRecoverSeconds).toBeLessThan(600);
    // Orders whose deadline passed while the consumer was paused are declined or looked up after it resumes: never charged.
    expect(report.chargeAfterCancel.invariant.passed).toBe(true);
    expect(report.chargeAfterCancel.authorizeThenRefund, 'authorize-then-refund of the drill orders').toMatchObject({ run: 0 });

    // Left as found: the fault cleared, the payments profile the default, every DLQ empty.
    expect(await getProviderFaults(system.deployment)).toEqual({});
    const payments = deadLetterQueuesOf(system.deployment).find((queue) => queue.name === 'PaymentsConsumerDeadLetters')!;
    expect((await getControls(system.deployment, payments.region)).resilienceProfile).toBeUndefined();
    expect((await system.queues()).filter((queue) => queue.isDeadLetterQueue && queue.visible > 0)).toEqual([]);

    const records = await listAuditRecords(system.deployment, payments.region);
    expect(records.filter((record) => record.action === 'drill' && record.actor === 'e2e-drill')).toContainEqual(expect.objectContaining({ details: expect.objectContaining({ auditOk: true }) }));
  }, 900_000);
});
