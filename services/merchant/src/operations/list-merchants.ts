import { create } from "@bufbuild/protobuf";
import {
  type ListMerchantsRequest,
  type ListMerchantsResponse,
  ListMerchantsResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { decodePageToken, pageOf, pageSizeOf } from "@kassa/platform";
import { merchantRepository } from "../db/merchant-repository.js";
import { merchantMessage } from "../merchant-message.js";
import type { MerchantContext } from "./merchant-context.js";
import { merchantStatusField } from "./merchant-status-field.js";

/**
 * ListMerchants: merchants newest first, optionally only those in one status. Keyset paging
 * by id (ids sort by creation time), so pages stay stable while merchants are added.
 */
export async function listMerchants(
  context: MerchantContext,
  request: ListMerchantsRequest,
): Promise<ListMerchantsResponse> {
  const status = merchantStatusField("status", request.status, { unspecifiedMeansAny: true });
  const pageSize = pageSizeOf(request.pageSize);
  const query = { status: status ?? "ANY" };
  const before = decodePageToken(request.pageToken, query);

  // One extra row says whether another page follows.
  const rows = await merchantRepository.page(context.db, { status, before, limit: pageSize + 1 });
  const { page, nextPageToken } = pageOf(rows, pageSize, query);
  const records = await merchantRepository.withFeeRules(context.db, page);
  return create(ListMerchantsResponseSchema, {
    merchants: records.map(merchantMessage),
    nextPageToken,
  });
}
