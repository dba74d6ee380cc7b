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
 * its first reason); a PAID order is FAILED_PRECONDITION. One statement locks the order,
 * cancels it only if it is CREATED and reports how it found it.
 */
export async function cancelOrder(
  context: OrderContext,
  request: CancelOrderRequest,
): Promise<CancelOrderResponse> {
  const orderId = requestFields.id("order_id", request.orderId, "ord");
  const reason = requestFields.text("reason", request.reason, { max: 500, optional: true });

  // Persist where the state allows it, then check what the order was in.
  const result = await orderRepository.cancel(context.db, orderId, reason, context.clock.now());
  if (!result) throw rpcErrors.notFound("order", orderId);
  const { current, changed } = result;
  if (changed) return create(CancelOrderResponseSchema, { order: orderMessage(changed) });
  switch (current.status) {
    case "CANCELLED":
      return create(CancelOrderResponseSchema, { order: orderMessage(current) });
    case "PAID":
      throw rpcErrors.failedPrecondition(`order ${orderId} is PAID; it cannot be cancelled`);
    case "CREATED":
      throw new Error(`order ${orderId} is CREATED under its lock but was not cancelled`);
  }
}
