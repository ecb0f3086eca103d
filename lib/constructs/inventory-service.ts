import { Construct } from 'constructs';
import { ContextService, sagaDeadlineMarginEnvironment, type ContextServiceProps, type DeadlineAwareProps } from './context-service';

export interface InventoryServiceProps extends ContextServiceProps, DeadlineAwareProps {}

/** Inventory: reserves stock for placed orders and releases it for cancelled ones; nothing past the deadline minus the margin. */
export class InventoryService extends ContextService {
  constructor(scope: Construct, id: string, props: InventoryServiceProps) {
    super(scope, id, props, {
      context: 'inventory',
      consumerEntry: 'inventory/handlers/consumer.ts',
      emitsEvents: true,
      consumer: { environment: sagaDeadlineMarginEnvironment(props) },
    });
  }
}
