import { describe, expect, it } from 'vitest';
import { formatAuditReport } from '../../../cli/commands/audit';
import { main } from '../../../cli/main';
import { audit } from '../../../functions/auditor/domain/audit';
import { auditOptions, removeRow, SnapshotBuilder } from '../../helpers/auditor-snapshot';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (line) => out.push(line), (line) => err.push(line));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('duckstore audit', () => {
  it('is listed with its flags', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toMatch(/audit \[--outbox-bound SECONDS\] \[--grace SECONDS\]/);
  });

  it('refuses a negative bound before calling anything, with exit 2', async () => {
    const { code, err } = await run('audit', '--outbox-bound=-5');
    expect(code).toBe(2);
    expect(err).toContain('--outbox-bound takes a number of seconds');
  });

  it('prints one line per invariant and, for a failed one, its findings with the order ids', () => {
    const builder = new SnapshotBuilder();
    const ids = builder.everyOutcome();
    const snapshot = builder.build();
    removeRow(snapshot, 'inventory', `RESERVATION#${ids['out-of-stock']}`);

    const lines = formatAuditReport(audit(snapshot, auditOptions)).join('\n');

    expect(lines).toMatch(/FAIL, 1 invariant\(s\) violated/);
    expect(lines).toMatch(/6 +no-lost-events: no lost events +FAIL/);
    expect(lines).toMatch(/3 +stock-conserved: stock conserved per SKU +PASS/);
    expect(lines).toMatch(/8 +no-charge-after-cancel: no charge after cancel +PASS/);
    expect(lines).toMatch(/authorize-then-refund 1\b/);
    expect(lines).toContain(`reservation-missing: order ${ids['out-of-stock']}`);
  });
});
