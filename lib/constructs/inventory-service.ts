import { Construct } from 'constructs';
import { ContextService, type ContextServiceProps } from './context-service';

/** Inventory: reserves stock for placed orders and releases it for cancelled ones. */
export class InventoryService extends ContextService {
  constructor(scope: Construct, id: string, props: ContextServiceProps) {
    super(scope, id, props, { context: 'inventory', consumerEntry: 'inventory/handlers/consumer.ts', emitsEvents: true });
  }
}
