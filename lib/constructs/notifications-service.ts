import { Construct } from 'constructs';
import { ContextService, type ContextServiceProps } from './context-service';

/** Notifications: tells the customer once per terminal order state. Emits nothing, so it has no outbox. */
export class NotificationsService extends ContextService {
  constructor(scope: Construct, id: string, props: ContextServiceProps) {
    super(scope, id, props, { context: 'notifications', consumerEntry: 'notifications/handlers/consumer.ts', emitsEvents: false });
  }
}
