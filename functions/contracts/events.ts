import type { EventContract } from './envelope';
import { InventoryRejected } from './events/inventory-rejected';
import { InventoryReleased } from './events/inventory-released';
import { InventoryReserved } from './events/inventory-reserved';
import { OrderCancelled } from './events/order-cancelled';
import { OrderConfirmed } from './events/order-confirmed';
import { OrderPlaced } from './events/order-placed';
import { OrderTimedOut } from './events/order-timed-out';
import { PaymentAuthorized } from './events/payment-authorized';
import { deadlinePassedDeclineReason, PaymentDeclined } from './events/payment-declined';
import { PaymentRefunded } from './events/payment-refunded';

export {
  deadlinePassedDeclineReason,
  InventoryRejected,
  InventoryReleased,
  InventoryReserved,
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  OrderTimedOut,
  PaymentAuthorized,
  PaymentDeclined,
  PaymentRefunded,
};

export const allEvents: readonly EventContract[] = [
  OrderPlaced,
  OrderConfirmed,
  OrderCancelled,
  OrderTimedOut,
  InventoryReserved,
  InventoryRejected,
  InventoryReleased,
  PaymentAuthorized,
  PaymentDeclined,
  PaymentRefunded,
];
