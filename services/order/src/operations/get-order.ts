import { create } from "@bufbuild/protobuf";
import {
  type GetOrderRequest,
  type GetOrderResponse,
  GetOrderResponseSchema,
} from "@kassa/contracts/kassa/order/v1/order_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { orderRepository } from "../db/order-repository.js";
import { orderMessage, orderTransitionMessage } from "../order-message.js";
import type { OrderContext } from "./order-context.js";

/** GetOrder: the order and its transition history, oldest first. */
export async function getOrder(
  context: OrderContext,
  request: GetOrderRequest,
): Promise<GetOrderResponse> {
  const orderId = requestFields.id("order_id", request.orderId, "ord");
  const order = await orderRepository.find(context.db, orderId);
  if (!order) throw rpcErrors.notFound("order", orderId);
  const transitions = await orderRepository.transitions(context.db, orderId);
  return create(GetOrderResponseSchema, {
    order: orderMessage(order),
    transitions: transitions.map(orderTransitionMessage),
  });
}
