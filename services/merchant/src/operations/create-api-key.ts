import { create } from "@bufbuild/protobuf";
import {
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
  CreateApiKeyResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { apiKeyDigest, createId, requestFields, rpcErrors } from "@kassa/platform";
import { apiKeyMessage } from "../api-key-message.js";
import { createApiKeySecret, visiblePrefixOf } from "../api-key-secret.js";
import { apiKeyRepository } from "../db/api-key-repository.js";
import { merchantRepository } from "../db/merchant-repository.js";
import type { MerchantContext } from "./merchant-context.js";

/**
 * CreateApiKey: issues a new ACTIVE key for a merchant (suspended ones too; their keys work once
 * they are active again). The secret is in this response only: what is stored is its digest
 * and the visible prefix. Not idempotent: each call is a new key.
 */
export async function createApiKey(
  context: MerchantContext,
  request: CreateApiKeyRequest,
): Promise<CreateApiKeyResponse> {
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const name = requestFields.text("name", request.name, { max: 100, optional: true });

  // Merchants are never deleted, so one that exists now still exists at the insert.
  if (!(await merchantRepository.find(context.db, merchantId))) {
    throw rpcErrors.notFound("merchant", merchantId);
  }

  const secret = createApiKeySecret();
  const key = await apiKeyRepository.create(context.db, {
    id: createId("key"),
    merchantId,
    name,
    prefix: visiblePrefixOf(secret),
    digest: apiKeyDigest(secret),
    at: context.clock.now(),
  });
  return create(CreateApiKeyResponseSchema, { apiKey: apiKeyMessage(key), secret });
}
