/**
 * The business metrics of the saga (CloudWatch embedded metric format,
 * namespace `DuckStore`): the contract between the functions that publish them
 * (functions/shared/metrics.ts, `recordBusinessMetric`) and the alarms and
 * dashboards over them. Each is published where the fact is committed.
 */
export const businessMetrics = {
  namespace: 'DuckStore',
  /** A new order was accepted by the API (not a replayed POST). Count. */
  ordersPlaced: 'OrdersPlaced',
  /** An order reached CONFIRMED. Count. */
  ordersConfirmed: 'OrdersConfirmed',
  /** An order reached CANCELLED; dimension `reason` (OUT_OF_STOCK, PAYMENT_DECLINED, SAGA_DEADLINE, …). Count. */
  ordersCancelled: 'OrdersCancelled',
  /** Placement to terminal state; dimension `outcome` (CONFIRMED, CANCELLED). Milliseconds. */
  sagaDurationMs: 'SagaDurationMs',
  /** A compensating action was committed; dimension `action` (ReleaseReservation, Refund). Count. */
  compensations: 'Compensations',
} as const;
