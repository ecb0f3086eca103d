import type { ContextName, EventContract } from './envelope';
import {
  InventoryRejected,
  InventoryReserved,
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  OrderTimedOut,
  PaymentAuthorized,
  PaymentDeclined,
} from './events';

/**
 * What each context consumes. The CDK rule patterns, the cross-region forwarding
 * rules and each consumer's dispatch table are all derived from this one map.
 * A context consumes its own event only for a timer it set itself
 * (OrderTimedOut); that event never leaves the context's region.
 */
export const subscriptions = {
  orders: [InventoryRejected, PaymentAuthorized, PaymentDeclined, OrderTimedOut],
  inventory: [OrderPlaced, OrderCancelled],
  payments: [InventoryReserved, OrderCancelled],
  notifications: [OrderConfirmed, OrderCancelled],
} as const satisfies Record<ContextName, readonly EventContract[]>;

export type Subscriptions = typeof subscriptions;

/**
 * What the orders context's deadline arming consumer reads: the committed
 * OrderPlaced, from which it sets the order's saga-deadline timer. A consumer
 * of its own (not the orders consumer) so that a slow or throttled scheduler
 * API never holds up the saga outcomes; kept out of `subscriptions` because
 * it is the orders context reading its own event, in its own region.
 */
export const deadlineArmingSubscription = [OrderPlaced] as const satisfies readonly EventContract[];
