import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Order,
  OrderSchema,
  OrderStatus,
  type OrderTransition,
  OrderTransitionSchema,
} from "@kassa/contracts/kassa/order/v1/order_pb";
import type { OrderRow, OrderTransitionRow } from "./db/schema.js";

const statuses = {
  CREATED: OrderStatus.CREATED,
  PAID: OrderStatus.PAID,
  CANCELLED: OrderStatus.CANCELLED,
} as const satisfies Record<OrderRow["status"], OrderStatus>;

const timestamp = (date: Date | null) => (date ? timestampFromDate(date) : undefined);

/** An order row as the contract's Order message. */
export function orderMessage(row: OrderRow): Order {
  return create(OrderSchema, {
    id: row.id,
    merchantId: row.merchantId,
    merchantOrderNo: row.merchantOrderNo,
    amount: row.amount,
    currency: row.currency,
    description: row.description,
    status: statuses[row.status],
    paymentId: row.paymentId ?? "",
    cancelReason: row.cancelReason ?? "",
    createdAt: timestamp(row.createdAt),
    updatedAt: timestamp(row.updatedAt),
    paidAt: timestamp(row.paidAt),
    cancelledAt: timestamp(row.cancelledAt),
  });
}

/** A history row as the contract's OrderTransition message. */
export function orderTransitionMessage(row: OrderTransitionRow): OrderTransition {
  return create(OrderTransitionSchema, {
    fromStatus: row.fromStatus ? statuses[row.fromStatus] : OrderStatus.UNSPECIFIED,
    toStatus: statuses[row.toStatus],
    paymentId: row.paymentId ?? "",
    reason: row.reason ?? "",
    occurredAt: timestamp(row.occurredAt),
  });
}
