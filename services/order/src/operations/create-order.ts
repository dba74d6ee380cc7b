import { create } from "@bufbuild/protobuf";
import {
  type CreateOrderRequest,
  type CreateOrderResponse,
  CreateOrderResponseSchema,
} from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId, requestFields, rpcErrors } from "@kassa/platform";
import { orderRepository } from "../db/order-repository.js";
import { orderMessage } from "../order-message.js";
import type { OrderContext } from "./order-context.js";

/**
 * CreateOrder: creates the order, or returns the one the merchant already has under this
 * order number. Idempotent on (merchant_id, merchant_order_no); the same number with another
 * amount or currency is ALREADY_EXISTS.
 */
export async function createOrder(
  context: OrderContext,
  request: CreateOrderRequest,
): Promise<CreateOrderResponse> {
  // Validate.
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const merchantOrderNo = requestFields.text("merchant_order_no", request.merchantOrderNo, {
    max: 64,
  });
  const amount = requestFields.amount("amount", request.amount);
  const currency = requestFields.currency("currency", request.currency);
  const description = requestFields.text("description", request.description, {
    max: 1000,
    optional: true,
  });

  // Persist (or find what a previous attempt persisted).
  const { order, created } = await orderRepository.createIfAbsent(context.db, {
    id: createId("ord"),
    merchantId,
    merchantOrderNo,
    amount,
    currency,
    description,
    at: context.clock.now(),
  });

  // Check that a found order is the same request.
  if (!created && (order.amount !== amount || order.currency !== currency)) {
    throw rpcErrors.alreadyExists(
      `merchant_order_no ${merchantOrderNo} is already order ${order.id} with a different amount or currency`,
    );
  }
  return create(CreateOrderResponseSchema, { order: orderMessage(order), created });
}
