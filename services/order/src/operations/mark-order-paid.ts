import { create } from "@bufbuild/protobuf";
import {
  type MarkOrderPaidRequest,
  type MarkOrderPaidResponse,
  MarkOrderPaidResponseSchema,
} from "@kassa/contracts/kassa/order/v1/order_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { orderRepository } from "../db/order-repository.js";
import { orderMessage } from "../order-message.js";
import type { OrderContext } from "./order-context.js";

/**
 * MarkOrderPaid: CREATED → PAID by a payment. Idempotent for the same payment; a CANCELLED
 * order, or one paid by another payment, is FAILED_PRECONDITION. The order row is locked for
 * the whole decision, so concurrent pay/cancel calls end in exactly one terminal state.
 */
export async function markOrderPaid(
  context: OrderContext,
  request: MarkOrderPaidRequest,
): Promise<MarkOrderPaidResponse> {
  const orderId = requestFields.id("order_id", request.orderId, "ord");
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");

  const order = await context.db.transaction(async (tx) => {
    const current = await orderRepository.lock(tx, orderId);
    if (!current) throw rpcErrors.notFound("order", orderId);
    switch (current.status) {
      case "PAID":
        if (current.paymentId === paymentId) return current;
        throw rpcErrors.failedPrecondition(
          `order ${orderId} is already PAID by payment ${current.paymentId}`,
        );
      case "CANCELLED":
        throw rpcErrors.failedPrecondition(`order ${orderId} is CANCELLED; it cannot be paid`);
      case "CREATED":
        return orderRepository.markPaid(tx, current, paymentId, context.clock.now());
    }
  });
  return create(MarkOrderPaidResponseSchema, { order: orderMessage(order) });
}
