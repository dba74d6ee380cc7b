import { create } from "@bufbuild/protobuf";
import {
  type ListSettlementsRequest,
  type ListSettlementsResponse,
  ListSettlementsResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { decodePageToken, pageOf, pageSizeOf, requestFields } from "@kassa/platform";
import { settlementRepository } from "../db/settlement-repository.js";
import { settlementMessage } from "../settlement-message.js";
import type { AccountingContext } from "./accounting-context.js";
import { settlementStatusFilter } from "./settlement-status-filter.js";

/**
 * ListSettlements: settlements newest first, optionally of one merchant, status and currency
 * (filters combine with AND). Keyset paging by id, like every List.
 */
export async function listSettlements(
  context: AccountingContext,
  request: ListSettlementsRequest,
): Promise<ListSettlementsResponse> {
  const merchantId =
    request.merchantId === ""
      ? undefined
      : requestFields.id("merchant_id", request.merchantId, "mer");
  const status = settlementStatusFilter("status", request.status);
  const currency =
    request.currency === "" ? undefined : requestFields.currency("currency", request.currency);
  const pageSize = pageSizeOf(request.pageSize);
  const query = {
    merchantId: merchantId ?? "ANY",
    status: status ?? "ANY",
    currency: currency ?? "ANY",
  };
  const before = decodePageToken(request.pageToken, query);

  // One extra row says whether another page follows.
  const rows = await settlementRepository.page(context.db, {
    merchantId,
    status,
    currency,
    before,
    limit: pageSize + 1,
  });
  const { page, nextPageToken } = pageOf(rows, pageSize, query);
  return create(ListSettlementsResponseSchema, {
    settlements: page.map(settlementMessage),
    nextPageToken,
  });
}
