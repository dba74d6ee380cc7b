import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type ListRefundsRequest,
  type ListRefundsResponse,
  ListRefundsResponseSchema,
  RefundStatus,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { decodePageToken, pageOf, pageSizeOf, requestFields, rpcErrors } from "@kassa/platform";
import { refundRepository } from "../db/refund-repository.js";
import type { RefundRow } from "../db/schema.js";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { refundMessage, refundStatuses } from "../payment-message.js";

/** ListRefunds: the caller's refunds, newest first, optionally of one payment or in one status. */
export async function listRefunds(
  context: GatewayContext,
  request: ListRefundsRequest,
  call: HandlerContext,
): Promise<ListRefundsResponse> {
  const merchantId = readerScope(call);
  const pageSize = pageSizeOf(request.pageSize);
  const filter = {
    paymentId:
      request.paymentId === ""
        ? undefined
        : requestFields.id("payment_id", request.paymentId, "pay"),
    status: statusOf(request.status),
  };
  const after = decodePageToken(request.pageToken, filter);
  const rows = await refundRepository.page(context.db, merchantId, filter, after, pageSize + 1);
  const { page, nextPageToken } = pageOf(rows, pageSize, filter);
  return create(ListRefundsResponseSchema, {
    refunds: page.map(refundMessage),
    nextPageToken,
  });
}

function statusOf(status: RefundStatus): RefundRow["status"] | undefined {
  if (status === RefundStatus.UNSPECIFIED) return undefined;
  const entry = Object.entries(refundStatuses).find(([, value]) => value === status);
  if (!entry) throw rpcErrors.invalidArgument("status", "is not a RefundStatus");
  return entry[0] as RefundRow["status"];
}
