import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetPaymentRequest,
  type GetPaymentResponse,
  GetPaymentResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { requestFields } from "@kassa/platform";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { paymentMessage } from "../payment-message.js";
import { loadPayment } from "./load-payment.js";

/** GetPayment: one of the caller's payments; another merchant's is NOT_FOUND, like a missing one. */
export async function getPayment(
  context: GatewayContext,
  request: GetPaymentRequest,
  call: HandlerContext,
): Promise<GetPaymentResponse> {
  const merchantId = readerScope(call);
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const payment = await loadPayment(context, merchantId, paymentId);
  return create(GetPaymentResponseSchema, { payment: paymentMessage(payment) });
}
