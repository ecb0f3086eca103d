import { RemovalPolicy, Stack, type Duration, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CrossRegionForwarder } from '../constructs/cross-region-forwarder';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';
import type { DuckStoreFunction } from '../constructs/duckstore-function';
import { FaultControls } from '../constructs/fault-controls';
import { FaultInjectionExperiments } from '../constructs/fault-injection-experiments';
import { InventoryService } from '../constructs/inventory-service';
import { InvariantAuditor } from '../constructs/invariant-auditor';
import { OperationsAuditLog } from '../constructs/operations-audit-log';
import { OperationsAutomation } from '../constructs/operations-automation';
import { OperationsMonitoring } from '../constructs/operations-monitoring';
import { NotificationsService } from '../constructs/notifications-service';
import { OrdersService, type ApiAuth } from '../constructs/orders-service';
import { PaymentProviderSimulator } from '../constructs/payment-provider-simulator';
import { PaymentsService } from '../constructs/payments-service';
import { contextsIn, deployedRegions, eventsToForward, type Topology } from '../topology';

/** Every region's bus has this name, so a forwarder can address the bus of another region by ARN. */
export const eventBusName = 'duckstore';

export interface DeploymentSettings {
  /** @default 'cognito' */
  readonly apiAuth?: ApiAuth;
  /** Whether tables survive stack deletion. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** A real payment provider; without it, the simulator is deployed next to payments. */
  readonly providerUrl?: string;
  /** The merchant secret of the real provider (a complete Secrets Manager ARN in the payments region); required with `providerUrl`. */
  readonly providerSecretArn?: string;
  /** How long an order's saga may take before it is cancelled. @default 5 minutes */
  readonly sagaDeadline?: Duration;
  /** How long before the saga deadline inventory and payments stop starting side effects. @default 10 seconds */
  readonly sagaDeadlineMargin?: Duration;
  /** How long past its deadline an order waits for its own timer before the sweep cancels it. @default 1 minute */
  readonly deadlineSweepGrace?: Duration;
  /** How old an unpublished outbox row must be before the outbox sweeper publishes it. @default 2 minutes */
  readonly outboxSweepBound?: Duration;
  /** Deploy the run-time control document and let every function read it (docs/faults.md). @default false */
  readonly faultInjection?: boolean;
  /**
   * Deploy what only AWS can host: the bus's event archive and the runbooks'
   * SSM Automation documents (ministack rolls back a stack holding either;
   * the local deploy sets false, docs/operations.md). @default true
   */
  readonly awsOnlyResources?: boolean;
  /** AWS FIS experiment templates, and the FIS extension on the functions they fault (AWS only, docs/faults.md). @default false */
  readonly fis?: boolean;
  /**
   * Reserve concurrency where a function relies on it (the deadline sweep: one
   * run at a time). Off, the account's unreserved pool serves every function;
   * an account on the new-account quota (10) refuses any reservation. @default false
   */
  readonly reservedConcurrency?: boolean;
  /** The JWT claim that names the customer on authenticated APIs. @default 'sub' */
  readonly customerClaim?: string;
}

export interface RegionStackProps extends StackProps {
  readonly topology: Topology;
  readonly settings?: DeploymentSettings;
}

/**
 * Everything DuckStore runs in one region: the region's bus, the bounded
 * contexts the topology places here, and forwarding of the events that
 * contexts in other regions consume.
 */
export class RegionStack extends Stack {
  readonly bus: EventBus;
  readonly orders?: OrdersService;
  readonly inventory?: InventoryService;
  readonly payments?: PaymentsService;
  readonly notifications?: NotificationsService;
  readonly providerSimulator?: PaymentProviderSimulator;
  readonly forwarders: CrossRegionForwarder[] = [];
  readonly auditor: InvariantAuditor;
  readonly faultControls?: FaultControls;
  readonly operationsAuditLog: OperationsAuditLog;
  readonly operationsMonitoring: OperationsMonitoring;
  readonly operationsAutomation?: OperationsAutomation;
  readonly faultInjection?: FaultInjectionExperiments;

  constructor(scope: Construct, id: string, props: RegionStackProps) {
    super(scope, id, props);
    const region = props.env?.region;
    if (!region) throw new Error(`${id}: a region stack needs env.region`);
    const settings = props.settings ?? {};
    const removalPolicy = settings.removalPolicy ?? RemovalPolicy.RETAIN;

    this.bus = new EventBus(this, 'Bus', { eventBusName, description: 'DuckStore domain events of this region' });
    const common = { bus: this.bus, removalPolicy, ...(settings.outboxSweepBound ? { outboxSweepBound: settings.outboxSweepBound } : {}) };
    const contexts = contextsIn(props.topology, region);

    const deadlineAware = settings.sagaDeadlineMargin ? { sagaDeadlineMargin: settings.sagaDeadlineMargin } : {};
    if (contexts.includes('orders')) {
      this.orders = new OrdersService(this, 'Orders', {
        ...common,
        ...(settings.apiAuth ? { auth: settings.apiAuth } : {}),
        sagaDeadline: settings.sagaDeadline,
        deadlineSweepGrace: settings.deadlineSweepGrace,
        reservedConcurrency: settings.reservedConcurrency ?? false,
        ...(settings.customerClaim ? { customerClaim: settings.customerClaim } : {}),
        ...deadlineAware,
      });
    }
    if (contexts.includes('inventory')) this.inventory = new InventoryService(this, 'Inventory', { ...common, ...deadlineAware });
    if (contexts.includes('payments')) {
      let providerUrl = settings.providerUrl;
      let providerSecret: ISecret;
      if (providerUrl) {
        if (!settings.providerSecretArn) throw new Error(`${id}: a real payment provider (providerUrl) needs its merchant secret (providerSecretArn)`);
        providerSecret = Secret.fromSecretCompleteArn(this, 'ProviderSecret', settings.providerSecretArn);
      } else {
        this.providerSimulator = new PaymentProviderSimulator(this, 'PaymentProviderSimulator');
        providerUrl = this.providerSimulator.url;
        providerSecret = this.providerSimulator.merchantSecret;
      }
      this.payments = new PaymentsService(this, 'Payments', { ...common, ...deadlineAware, providerUrl, providerSecret });
      // Admission control refuses orders through a long provider outage when it can read the breaker in its own region.
      if (this.orders && this.payments.consumer.breakerTable) this.orders.admitOnBreaker(this.payments.consumer.breakerTable);
    }
    if (contexts.includes('notifications')) this.notifications = new NotificationsService(this, 'Notifications', common);

    for (const targetRegion of deployedRegions(props.topology).filter((other) => other !== region)) {
      const contracts = eventsToForward(props.topology, region, targetRegion);
      if (contracts.length === 0) continue;
      this.forwarders.push(new CrossRegionForwarder(this, `ForwardTo-${targetRegion}`, { bus: this.bus, targetRegion, targetBusName: eventBusName, contracts }));
    }

    // Last: it reads every DLQ of the stack.
    this.auditor = new InvariantAuditor(this, 'InvariantAuditor', {
      topology: props.topology,
      tables: { orders: this.orders?.tables.state, inventory: this.inventory?.tables.state, payments: this.payments?.tables.state, notifications: this.notifications?.tables.state, ledger: this.providerSimulator?.ledger },
      ledgerDeployed: !settings.providerUrl,
    });

    // Operations (docs/operations.md): after every queue, relay and alarm of the stack exists, since it walks them.
    this.operationsAuditLog = new OperationsAuditLog(this, 'OperationsAuditLog', { removalPolicy });
    if (settings.awsOnlyResources ?? true) this.operationsAutomation = new OperationsAutomation(this, 'OperationsAutomation', { bus: this.bus, auditor: this.auditor.function });
    this.operationsMonitoring = new OperationsMonitoring(this, 'OperationsMonitoring', { payments: this.payments !== undefined });
    if (settings.fis) {
      const deadLetterAlarms = this.node.findAll().filter((node): node is DeadLetterQueue => node instanceof DeadLetterQueue).map((dlq) => dlq.alarm);
      this.faultInjection = new FaultInjectionExperiments(this, 'FaultInjection', { targets: this.fisTargets(), stopAlarms: [...deadLetterAlarms, this.auditor.alarm] });
    }

    // After every function exists: each gets the control table's name and read access.
    if (settings.faultInjection) {
      this.faultControls = new FaultControls(this, 'FaultControls');
      this.faultControls.attachToFunctionsOf(this);
    }
  }

  /** The functions FIS may fault: each context's consumer, and the provider simulator. */
  private fisTargets(): Record<string, DuckStoreFunction> {
    const found: Record<string, DuckStoreFunction> = {};
    for (const [name, service] of Object.entries({ orders: this.orders, inventory: this.inventory, payments: this.payments, notifications: this.notifications })) {
      if (service) found[`${name}-consumer`] = service.consumer.function;
    }
    if (this.providerSimulator) found['payment-provider'] = this.providerSimulator.function;
    return found;
  }
}
