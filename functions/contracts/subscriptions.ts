import type { ContextName, EventContract } from './envelope';
import {
  InventoryRejected,
  InventoryReserved,
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  PaymentAuthorized,
  PaymentDeclined,
} from './events';

/**
 * What each context consumes. The CDK rule patterns, the cross-region forwarding
 * rules and each consumer's dispatch table are all derived from this one map.
 */
export const subscriptions = {
  orders: [InventoryRejected, PaymentAuthorized, PaymentDeclined],
  inventory: [OrderPlaced, OrderCancelled],
  payments: [InventoryReserved, OrderCancelled],
  notifications: [OrderConfirmed, OrderCancelled],
} as const satisfies Record<ContextName, readonly EventContract[]>;

export type Subscriptions = typeof subscriptions;
