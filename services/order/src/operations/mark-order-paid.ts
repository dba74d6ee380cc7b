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
 * order, or one paid by another payment, is FAILED_PRECONDITION. One statement locks the
 * order, pays it only if it is CREATED and reports how it found it, so concurrent pay/cancel
 * calls end in exactly one terminal state.
 */
export async function markOrderPaid(
  context: OrderContext,
  request: MarkOrderPaidRequest,
): Promise<MarkOrderPaidResponse> {
  const orderId = requestFields.id("order_id", request.orderId, "ord");
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");

  // Persist where the state allows it, then check what the order was in.
  const result = await orderRepository.markPaid(
    context.db,
    orderId,
    paymentId,
    context.clock.now(),
  );
  if (!result) throw rpcErrors.notFound("order", orderId);
  const { current, changed } = result;
  if (changed) return create(MarkOrderPaidResponseSchema, { order: orderMessage(changed) });
  switch (current.status) {
    case "PAID":
      if (current.paymentId === paymentId) {
        return create(MarkOrderPaidResponseSchema, { order: orderMessage(current) });
      }
      throw rpcErrors.failedPrecondition(
        `order ${orderId} is already PAID by payment ${current.paymentId}`,
      );
    case "CANCELLED":
      throw rpcErrors.failedPrecondition(`order ${orderId} is CANCELLED; it cannot be paid`);
    case "CREATED":
      throw new Error(`order ${orderId} is CREATED under its lock but was not paid`);
  }
}
