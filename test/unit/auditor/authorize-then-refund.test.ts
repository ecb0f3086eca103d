import { describe, expect, it } from 'vitest';
import { audit } from '../../../functions/auditor/domain/audit';
import { ago, auditOptions, rowOf, SnapshotBuilder } from '../../helpers/auditor-snapshot';

describe('authorize-then-refund compensations in the audit report', () => {
  it('lists each refunded authorization of a cancelled order with when it was made and when its order was cancelled', () => {
    const builder = new SnapshotBuilder();
    const ids = builder.everyOutcome();
    const snapshot = builder.build();

    const report = audit(snapshot, auditOptions);

    // Placed 600 s ago, authorized 2 s later, cancelled 3 s after placement (the builder's timeline).
    expect(report.authorizeThenRefunds).toEqual([{ orderId: ids.refunded, authorizationId: rowOf(snapshot, 'ledger', `AUTH#${ids.refunded}`).authorizationId, authorizedAt: ago(598), cancelledAt: ago(597) }]);
    expect(report.counts.authorizeThenRefund).toBe(1);
  });

  it('leaves out what was declined, still held or never cancelled, and says nothing without a ledger', () => {
    const builder = new SnapshotBuilder();
    const ids = builder.everyOutcome();
    const snapshot = builder.build();
    rowOf(snapshot, 'ledger', `AUTH#${ids.refunded}`).status = 'AUTHORIZED';

    expect(audit(snapshot, auditOptions).authorizeThenRefunds).toEqual([]);

    delete snapshot.tables.ledger;
    const withoutLedger = audit(snapshot, auditOptions);
    expect(withoutLedger.authorizeThenRefunds).toBeUndefined();
    expect(withoutLedger.counts.authorizeThenRefund).toBeUndefined();
  });
});
