import { create } from "@bufbuild/protobuf";
import {
  type MarkOrdersPaidRequest,
  type MarkOrdersPaidResponse,
  MarkOrdersPaidResponseSchema,
} from "@kassa/contracts/kassa/order/v1/order_pb";
import { eachInOneTransaction } from "@kassa/platform";
import { markOrderPaid } from "./mark-order-paid.js";
import type { OrderContext } from "./order-context.js";

/**
 * MarkOrdersPaid: each order exactly as MarkOrderPaid marks it, all in one transaction (the
 * gateway's outbox sends the payments that finished together); all or nothing.
 */
export async function markOrdersPaid(
  context: OrderContext,
  request: MarkOrdersPaidRequest,
): Promise<MarkOrdersPaidResponse> {
  const paid = await eachInOneTransaction(context.db, "orders", request.orders, (db, order) =>
    markOrderPaid({ ...context, db }, order),
  );
  return create(MarkOrdersPaidResponseSchema, {
    orders: paid.flatMap((answer) => answer.order ?? []),
  });
}
