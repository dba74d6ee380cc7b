import { create } from "@bufbuild/protobuf";
import {
  type GetMerchantRequest,
  type GetMerchantResponse,
  GetMerchantResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { merchantRepository } from "../db/merchant-repository.js";
import { merchantMessage } from "../merchant-message.js";
import type { MerchantContext } from "./merchant-context.js";

/** GetMerchant: the merchant with its current fee schedule, whatever its status. */
export async function getMerchant(
  context: MerchantContext,
  request: GetMerchantRequest,
): Promise<GetMerchantResponse> {
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const record = await merchantRepository.findRecord(context.db, merchantId);
  if (!record) throw rpcErrors.notFound("merchant", merchantId);
  return create(GetMerchantResponseSchema, { merchant: merchantMessage(record) });
}
