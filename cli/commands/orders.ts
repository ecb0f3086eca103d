import { placeOrderRequestSchema } from '#contracts/api';
import { OrdersApiClient, type OrderView } from '../api-client';
import { table, type Command, type CommandContext } from '../command';
import { discoverDeployment, ordersApiUrl } from '../deployment';
import { UsageError } from '../targets';

async function apiClient(context: CommandContext): Promise<OrdersApiClient> {
  const deployment = await discoverDeployment(context.target, context.topology);
  return new OrdersApiClient(ordersApiUrl(deployment), context.token);
}

function describe(order: OrderView): string {
  const lines = [
    `order ${order.orderId}  ${order.status}${order.cancellationReason ? ` (${order.cancellationReason})` : ''}`,
    `customer ${order.customerId}  total ${(order.total.amountCents / 100).toFixed(2)} ${order.total.currency}`,
    table([['sku', 'qty', 'unit'], ...order.lines.map((line) => [line.sku, line.quantity, (line.unitPriceCents / 100).toFixed(2)])]),
    'history:',
    ...order.history.map((entry) => `  ${entry.at}  ${entry.status.padEnd(9)} ${entry.reason}`),
  ];
  return lines.join('\n');
}

export const placeOrderCommand: Command = {
  name: 'orders place',
  usage: 'orders place --customer ID --item SKU=QTY [--item SKU=QTY ...] [--key IDEMPOTENCY_KEY] [--wait]',
  summary: 'place an order through the HTTP API (a retried key returns the same order)',
  options: { customer: { type: 'string' }, item: { type: 'string', multiple: true }, key: { type: 'string' }, wait: { type: 'boolean', default: false } },
  async run(context) {
    const values = context.values as { customer?: string; item?: string[]; key?: string; wait: boolean };
    const items = (values.item ?? []).map((spec) => {
      const match = /^([^=]+)=(\d+)$/.exec(spec);
      if (!match) throw new UsageError(`--item ${spec}: expected SKU=QUANTITY, e.g. DUCK-CLASSIC=2`);
      return { sku: match[1]!, quantity: Number(match[2]) };
    });
    const request = placeOrderRequestSchema.safeParse({ customerId: values.customer, items });
    if (!request.success) throw new UsageError(request.error.issues.map((issue) => `${issue.path.join('.') || 'order'}: ${issue.message}`).join('; '));
    const client = await apiClient(context);
    const placed = await client.placeOrder(request.data, values.key);
    const order = values.wait ? await client.waitForTerminal(placed.orderId) : undefined;
    if (context.json) context.out(JSON.stringify({ ...placed, ...(order ? { order } : {}) }, null, 2));
    else context.out(order ? describe(order) : `order ${placed.orderId} accepted${placed.replayed ? ' (replayed: this key was used before)' : ''}; idempotency key ${placed.idempotencyKey}`);
    return 0;
  },
};

export const getOrderCommand: Command = {
  name: 'orders get',
  usage: 'orders get ORDER_ID',
  summary: "show an order's state and history",
  async run(context) {
    const [orderId] = context.positionals;
    if (!orderId) throw new UsageError('orders get needs an order id');
    const order = await (await apiClient(context)).getOrder(orderId);
    context.out(context.json ? JSON.stringify(order, null, 2) : describe(order));
    return 0;
  },
};
