import type { Command } from '../command';
import { discoverDeployment } from '../deployment';
import { runDrill } from '../dlq/drill';
import { UsageError } from '../targets';
import { formatChargeAfterCancel } from '../chaos/measure';

const whole = (name: string, raw: unknown): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} takes a whole number ≥ 1, got "${String(raw)}"`);
  return value;
};

export const drillCommand: Command = {
  name: 'drill',
  usage: 'drill [--orders N] [--outage SECONDS] [--recovery-timeout SECONDS] [--actor NAME]',
  summary: 'timed recovery drill: provider outage under load until the payments consumer pauses, heal, no operator action, stop when the auditor is green',
  options: { orders: { type: 'string' }, outage: { type: 'string' }, 'recovery-timeout': { type: 'string' }, actor: { type: 'string' } },
  async run(context) {
    const orders = whole('orders', context.values.orders);
    const outageSeconds = whole('outage', context.values.outage);
    const recoveryTimeoutSeconds = whole('recovery-timeout', context.values['recovery-timeout']);
    const deployment = await discoverDeployment(context.target, context.topology);
    const report = await runDrill(deployment, {
      ...(orders ? { orders } : {}),
      ...(outageSeconds ? { outageSeconds } : {}),
      ...(recoveryTimeoutSeconds ? { recoveryTimeoutSeconds } : {}),
      ...(context.values.actor ? { actor: String(context.values.actor) } : {}),
      log: context.json ? undefined : (line) => context.out(`[drill] ${line}`),
    });
    if (context.json) context.out(JSON.stringify({ target: context.target.name, ...report }, null, 2));
    else {
      context.out(
        `drill ${report.ok ? 'PASSED' : 'FAILED'}: time to detect ${report.timeToDetectSeconds ?? '-'} s, outage ${report.outageSeconds} s, ` +
          `time to recover ${report.timeToRecoverSeconds ?? '-'} s (heal → auditor green), operator actions ${report.redrives.length}, dead letters ${report.deadLettered.reduce((sum, entry) => sum + entry.messages, 0)}${report.audit.failed.length ? `; failing: ${report.audit.failed.join(', ')}` : ''}; ` +
          `${formatChargeAfterCancel(report.chargeAfterCancel)}; audit ${report.auditRecord}`,
      );
    }
    return report.ok ? 0 : 1;
  },
};
