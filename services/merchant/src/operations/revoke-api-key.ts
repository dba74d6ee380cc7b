import { create } from "@bufbuild/protobuf";
import {
  type RevokeApiKeyRequest,
  type RevokeApiKeyResponse,
  RevokeApiKeyResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { type Logger, requestFields, rpcErrors } from "@kassa/platform";
import { apiKeyMessage } from "../api-key-message.js";
import { apiKeyRepository } from "../db/api-key-repository.js";
import { evictApiKeyCache } from "../evict-api-key-cache.js";
import type { MerchantContext } from "./merchant-context.js";

/**
 * RevokeApiKey: ACTIVE → REVOKED, effective for AuthenticateApiKey as soon as it commits.
 * Idempotent: a revoked key is returned unchanged, with its first `revoked_at`. Every call
 * then evicts the gateway's cached authentication of the key, so a repeat also retries an
 * eviction that failed; a Redis failure only logs.
 */
export async function revokeApiKey(
  context: MerchantContext,
  request: RevokeApiKeyRequest,
  log: Logger,
): Promise<RevokeApiKeyResponse> {
  const apiKeyId = requestFields.id("api_key_id", request.apiKeyId, "key");

  const key = await context.db.transaction(async (tx) => {
    const current = await apiKeyRepository.lock(tx, apiKeyId);
    if (!current) throw rpcErrors.notFound("API key", apiKeyId);
    if (current.status === "REVOKED") return current;
    return apiKeyRepository.revoke(tx, current, context.clock.now());
  });

  await evictApiKeyCache(context.redis, log, [key.digest], apiKeyId);
  return create(RevokeApiKeyResponseSchema, { apiKey: apiKeyMessage(key) });
}
