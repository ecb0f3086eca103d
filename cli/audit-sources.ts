import type { ContextName } from '#contracts/envelope';
import { regionalClients, snapshotReader, type AuditSources } from '../functions/auditor/adapters/snapshot-reader';
import type { AuditPorts } from '../functions/auditor/domain/use-cases';
import { regionOf } from '../lib/topology';
import { regionDeploymentOf, stateTableOf, type Deployment } from './deployment';

const contexts: ContextName[] = ['orders', 'inventory', 'payments', 'notifications'];

/** What the auditor reads on a deployment, found through CloudFormation like everything else the CLI touches. */
export function auditSourcesOf(deployment: Deployment): AuditSources {
  const tables: AuditSources['tables'] = Object.fromEntries(
    contexts.map((context) => [context, { region: regionOf(deployment.topology, context), tableName: stateTableOf(deployment, context) }]),
  );
  const paymentsRegion = regionDeploymentOf(deployment, 'payments');
  // Only deployed when no real provider URL is configured.
  const ledger = paymentsRegion.resources.find((resource) => resource.type === 'AWS::DynamoDB::Table' && resource.logicalId.startsWith('PaymentProviderSimulatorLedger'));
  if (ledger) tables.ledger = { region: paymentsRegion.region, tableName: ledger.physicalId };
  const deadLetterQueues = deployment.regions.flatMap(({ region, resources }) =>
    resources
      .filter((resource) => resource.type === 'AWS::SQS::Queue' && resource.logicalId.includes('DeadLetters'))
      .map((resource) => ({ region, name: resource.logicalId.replace(/Queue[0-9A-F]{8}$/, ''), url: resource.physicalId })),
  );
  return { tables, deadLetterQueues };
}

/** The auditor's ports on a discovered deployment; `destroy` closes the SDK clients. */
export function auditPortsOf(deployment: Deployment, options: { segments?: number } = {}): AuditPorts & { destroy(): void } {
  const clients = regionalClients((region) => deployment.target.aws(region));
  return {
    readSnapshot: snapshotReader(auditSourcesOf(deployment), clients, { segments: options.segments ?? 4 }),
    clock: { now: () => new Date() },
    destroy: () => clients.destroy(),
  };
}
