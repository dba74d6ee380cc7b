import { timingSafeEqual } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import {
  type AuthenticateApiKeyRequest,
  type AuthenticateApiKeyResponse,
  AuthenticateApiKeyResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { apiKeyDigest, rpcErrors } from "@kassa/platform";
import { isApiKeySecretShaped } from "../api-key-secret.js";
import { apiKeyRepository } from "../db/api-key-repository.js";
import { merchantMessage } from "../merchant-message.js";
import type { MerchantContext } from "./merchant-context.js";

/**
 * The one answer for every secret that does not authenticate (malformed, unknown, revoked), so
 * a caller cannot tell them apart; it never repeats what was sent.
 */
export const invalidApiKeyMessage = "API key is not valid";

/**
 * AuthenticateApiKey: the merchant a secret belongs to. The secret is looked up by its digest
 * (never stored, never logged) and the stored digest compared in constant time. Unknown,
 * revoked and malformed secrets are all UNAUTHENTICATED with one fixed message; a key of a
 * SUSPENDED merchant is PERMISSION_DENIED.
 */
export async function authenticateApiKey(
  context: MerchantContext,
  request: AuthenticateApiKeyRequest,
): Promise<AuthenticateApiKeyResponse> {
  // Validate: a malformed secret is answered like an unknown one, not as INVALID_ARGUMENT.
  if (!isApiKeySecretShaped(request.secret)) throw rpcErrors.unauthenticated(invalidApiKeyMessage);
  const digest = apiKeyDigest(request.secret);

  // Load and check.
  const found = await apiKeyRepository.findForAuthentication(context.db, digest);
  if (
    !found ||
    !timingSafeEqual(Buffer.from(found.key.digest, "hex"), Buffer.from(digest, "hex")) ||
    found.key.status !== "ACTIVE"
  ) {
    throw rpcErrors.unauthenticated(invalidApiKeyMessage);
  }
  const { merchant } = found.record;
  if (merchant.status !== "ACTIVE") {
    throw rpcErrors.permissionDenied(`merchant ${merchant.id} is suspended`);
  }

  return create(AuthenticateApiKeyResponseSchema, {
    merchant: merchantMessage(found.record),
    apiKeyId: found.key.id,
  });
}
