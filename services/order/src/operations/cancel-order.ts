import { create } from "@bufbuild/protobuf";
import {
  type CancelOrderRequest,
  type CancelOrderResponse,
  CancelOrderResponseSchema,
} from "@kassa/contracts/kassa/order/v1/order_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { orderRepository } from "../db/order-repository.js";
import { orderMessage } from "../order-message.js";
import type { OrderContext } from "./order-context.js";

/**
 * CancelOrder: CREATED → CANCELLED. Idempotent (a CANCELLED order is returned unchanged, with
 * its first reason); a PAID order is FAILED_PRECONDITION. The row is locked for the decision.
 */
export async function cancelOrder(
  context: OrderContext,
  request: CancelOrderRequest,
): Promise<CancelOrderResponse> {
  const orderId = requestFields.id("order_id", request.orderId, "ord");
  const reason = requestFields.text("reason", request.reason, { max: 500, optional: true });

  const order = await context.db.transaction(async (tx) => {
    const current = await orderRepository.lock(tx, orderId);
    if (!current) throw rpcErrors.notFound("order", orderId);
    switch (current.status) {
      case "CANCELLED":
        return current;
      case "PAID":
        throw rpcErrors.failedPrecondition(`order ${orderId} is PAID; it cannot be cancelled`);
      case "CREATED":
        return orderRepository.cancel(tx, current, reason, context.clock.now());
    }
  });
  return create(CancelOrderResponseSchema, { order: orderMessage(order) });
}
