import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type ListPaymentsRequest,
  type ListPaymentsResponse,
  ListPaymentsResponseSchema,
  PaymentStatus,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { decodePageToken, pageOf, pageSizeOf, requestFields, rpcErrors } from "@kassa/platform";
import { paymentRepository } from "../db/payment-repository.js";
import type { PaymentRow } from "../db/schema.js";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { paymentMessage, paymentStatusesOf } from "../payment-message.js";

/** ListPayments: the caller's payments, newest first, with optional status and order number filters. */
export async function listPayments(
  context: GatewayContext,
  request: ListPaymentsRequest,
  call: HandlerContext,
): Promise<ListPaymentsResponse> {
  const merchantId = readerScope(call);
  const pageSize = pageSizeOf(request.pageSize);
  const filter = {
    status: statusOf(request.status),
    merchantOrderNo:
      requestFields.text("merchant_order_no", request.merchantOrderNo, {
        max: 64,
        optional: true,
      }) || undefined,
  };
  const after = decodePageToken(request.pageToken, filter);
  const rows = await paymentRepository.page(context.db, merchantId, filter, after, pageSize + 1);
  const { page, nextPageToken } = pageOf(rows, pageSize, filter);
  return create(ListPaymentsResponseSchema, {
    payments: page.map(paymentMessage),
    nextPageToken,
  });
}

function statusOf(status: PaymentStatus): PaymentRow["status"][] | undefined {
  if (status === PaymentStatus.UNSPECIFIED) return undefined;
  const statuses = paymentStatusesOf(status);
  if (statuses.length === 0) throw rpcErrors.invalidArgument("status", "is not a PaymentStatus");
  return statuses;
}
