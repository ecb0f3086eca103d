import { describe, expect, it } from 'vitest';
import type { AuditSnapshot } from '../../../functions/auditor/domain/snapshot';
import { auditSystem, auditUntilGreen, type AuditPorts } from '../../../functions/auditor/domain/use-cases';
import { ago, auditNow, outboxRowFor, removeRow, SnapshotBuilder } from '../../helpers/auditor-snapshot';

/** Ports that hand out the given snapshots in turn (the last one forever) and a clock that advances by what was slept. */
function scriptedPorts(...snapshots: AuditSnapshot[]): AuditPorts & { reads: number; slept: number[] } {
  let now = auditNow.getTime();
  const ports = {
    reads: 0,
    slept: [] as number[],
    async readSnapshot() {
      return structuredClone(snapshots[Math.min(ports.reads++, snapshots.length - 1)]!);
    },
    clock: { now: () => new Date(now) },
    async sleep(ms: number) {
      ports.slept.push(ms);
      now += ms;
    },
  };
  return ports;
}

const options = { outboxBound: 120, grace: 60 };

function healthyAndTorn() {
  const builder = new SnapshotBuilder();
  const orderId = builder.saga({ outcome: 'confirmed' });
  const healthy = builder.build();
  // What a Scan of a live system can see: the payment row read before it was written, the order after it was confirmed.
  const torn = structuredClone(healthy);
  removeRow(torn, 'payments', `PAYMENT#${orderId}`);
  return { orderId, healthy, torn };
}

describe('auditSystem', () => {
  it('reads once when the system is healthy', async () => {
    const { healthy } = healthyAndTorn();
    const ports = scriptedPorts(healthy);

    const report = await auditSystem(ports, { ...options, confirmAfterMs: 5_000 });

    expect(report.ok).toBe(true);
    expect(ports.reads).toBe(1);
  });

  it('drops a finding a second read does not confirm, and counts it as transient', async () => {
    const { healthy, torn } = healthyAndTorn();
    const ports = scriptedPorts(torn, healthy);

    const report = await auditSystem(ports, { ...options, confirmAfterMs: 5_000 });

    expect(ports.reads).toBe(2);
    expect(ports.slept).toEqual([5_000]);
    expect(report.ok).toBe(true);
    expect(report.transient).toBeGreaterThan(0);
  });

  it('keeps a violation both reads see', async () => {
    const { orderId, torn } = healthyAndTorn();
    const ports = scriptedPorts(torn, torn);

    const report = await auditSystem(ports, { ...options, confirmAfterMs: 5_000 });

    expect(report.ok).toBe(false);
    expect(report.invariants.find((invariant) => invariant.id === 4)!.orderIds).toEqual([orderId]);
    expect(report.transient).toBe(0);
  });

  it('without confirmation reports the first read as it is', async () => {
    const { torn, healthy } = healthyAndTorn();
    const ports = scriptedPorts(torn, healthy);

    expect((await auditSystem(ports, options)).ok).toBe(false);
    expect(ports.reads).toBe(1);
  });
});

describe('auditUntilGreen', () => {
  it('reads until the system has converged', async () => {
    const builder = new SnapshotBuilder();
    const orderId = builder.saga({ outcome: 'confirmed', placedAgo: 2 });
    const converged = builder.build();
    const inFlight = structuredClone(converged);
    inFlight.tables.orders!.push(outboxRowFor(orderId, ago(1)));
    const ports = scriptedPorts(inFlight, inFlight, converged);

    const { report, attempts } = await auditUntilGreen(ports, { outboxBound: 0, grace: 60, timeoutMs: 30_000, intervalMs: 1_000 });

    expect(report.ok).toBe(true);
    expect(attempts).toBe(3);
  });

  it('gives up after the timeout with the last, failing report', async () => {
    const { torn } = healthyAndTorn();
    const ports = scriptedPorts(torn);

    const { report, attempts, waitedMs } = await auditUntilGreen(ports, { ...options, timeoutMs: 3_000, intervalMs: 1_000 });

    expect(report.ok).toBe(false);
    expect(attempts).toBe(4);
    expect(waitedMs).toBe(3_000);
  });
});
