import type { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ContextService, defaultSagaDeadlineMargin, type ContextServiceProps } from './context-service';

export interface InventoryServiceProps extends ContextServiceProps {
  /** Nothing is reserved past the saga deadline minus this (the order is being cancelled). @default 10 seconds */
  readonly sagaDeadlineMargin?: Duration;
}

/** Inventory: reserves stock for placed orders and releases it for cancelled ones. */
export class InventoryService extends ContextService {
  constructor(scope: Construct, id: string, props: InventoryServiceProps) {
    super(scope, id, props, {
      context: 'inventory',
      consumerEntry: 'inventory/handlers/consumer.ts',
      emitsEvents: true,
      consumer: { environment: { SAGA_DEADLINE_MARGIN_MS: String((props.sagaDeadlineMargin ?? defaultSagaDeadlineMargin).toMilliseconds()) } },
    });
  }
}
