import { create } from "@bufbuild/protobuf";
import {
  type ListApiKeysRequest,
  type ListApiKeysResponse,
  ListApiKeysResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { decodePageToken, pageOf, pageSizeOf, requestFields, rpcErrors } from "@kassa/platform";
import { apiKeyMessage } from "../api-key-message.js";
import { apiKeyRepository } from "../db/api-key-repository.js";
import { merchantRepository } from "../db/merchant-repository.js";
import type { MerchantContext } from "./merchant-context.js";

/**
 * ListApiKeys: a merchant's keys newest first, metadata only; ACTIVE ones unless
 * `include_revoked`. Keyset paging by id, like every List RPC.
 */
export async function listApiKeys(
  context: MerchantContext,
  request: ListApiKeysRequest,
): Promise<ListApiKeysResponse> {
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const pageSize = pageSizeOf(request.pageSize);
  const query = { merchantId, includeRevoked: request.includeRevoked };
  const before = decodePageToken(request.pageToken, query);

  if (!(await merchantRepository.find(context.db, merchantId))) {
    throw rpcErrors.notFound("merchant", merchantId);
  }
  // One extra row says whether another page follows.
  const rows = await apiKeyRepository.page(context.db, { ...query, before, limit: pageSize + 1 });
  const { page, nextPageToken } = pageOf(rows, pageSize, query);
  return create(ListApiKeysResponseSchema, {
    apiKeys: page.map(apiKeyMessage),
    nextPageToken,
  });
}
