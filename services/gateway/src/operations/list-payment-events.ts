import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type ListPaymentEventsRequest,
  type ListPaymentEventsResponse,
  ListPaymentEventsResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { decodePageToken, pageOf, pageSizeOf, requestFields, rpcErrors } from "@kassa/platform";
import { transitionRepository } from "../db/transition-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { paymentEventMessage } from "../payment-message.js";
import { loadPayment } from "./load-payment.js";

/**
 * ListPaymentEvents: one of the caller's payments' history, its refunds' included, oldest
 * first. Another merchant's payment is NOT_FOUND, like a missing one, rather than an empty
 * history that would confirm it exists.
 */
export async function listPaymentEvents(
  context: GatewayContext,
  request: ListPaymentEventsRequest,
  call: HandlerContext,
): Promise<ListPaymentEventsResponse> {
  const merchantId = readerScope(call);
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const pageSize = pageSizeOf(request.pageSize);
  const query = { paymentId };
  const after = sequenceOf(decodePageToken(request.pageToken, query));
  const _payment = await loadPayment(context, merchantId, paymentId);
  const rows = await transitionRepository.page(context.db, paymentId, after, pageSize + 1);
  // Page tokens carry the last row's sequence as its id.
  const { page, nextPageToken } = pageOf(
    rows.map((row) => ({ id: String(row.sequence), row })),
    pageSize,
    query,
  );
  return create(ListPaymentEventsResponseSchema, {
    events: page.map(({ row }) => paymentEventMessage(row)),
    nextPageToken,
  });
}

function sequenceOf(after: string | undefined): bigint | undefined {
  if (after === undefined) return undefined;
  if (!/^\d+$/.test(after)) {
    throw rpcErrors.invalidArgument("page_token", "is malformed or belongs to another query");
  }
  return BigInt(after);
}
