import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetRefundRequest,
  type GetRefundResponse,
  GetRefundResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { refundRepository } from "../db/refund-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { refundMessage } from "../payment-message.js";

/** GetRefund: one of the caller's refunds; another merchant's is NOT_FOUND, like a missing one. */
export async function getRefund(
  context: GatewayContext,
  request: GetRefundRequest,
  call: HandlerContext,
): Promise<GetRefundResponse> {
  const merchantId = readerScope(call);
  const refundId = requestFields.id("refund_id", request.refundId, "ref");
  const refund = await refundRepository.find(context.db, merchantId, refundId);
  if (!refund) throw rpcErrors.notFound("refund", refundId);
  return create(GetRefundResponseSchema, { refund: refundMessage(refund) });
}
