import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type RollWebhookEndpointSecretRequest,
  type RollWebhookEndpointSecretResponse,
  RollWebhookEndpointSecretResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { rpcErrors } from "@kassa/platform";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { webhookEndpointMessage } from "../webhook-message.js";
import { newWebhookSecret, webhookFields } from "./webhook-fields.js";

/** How long a replaced secret keeps signing when the request does not say. */
const defaultGraceSeconds = 24 * 60 * 60;
/** The longest grace period a request may ask for. */
const maxGraceSeconds = 7 * 24 * 60 * 60;

/**
 * RollWebhookEndpointSecret: validate → seal a new secret and keep the current one as the
 * previous, signing until its grace period ends → answer the new secret, this once.
 */
export async function rollWebhookEndpointSecret(
  context: GatewayContext,
  request: RollWebhookEndpointSecretRequest,
  call: HandlerContext,
): Promise<RollWebhookEndpointSecretResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const id = webhookFields.endpointId(request.webhookEndpointId);
  const graceSeconds = request.expiresInSeconds ?? BigInt(defaultGraceSeconds);
  if (graceSeconds < 0n || graceSeconds > BigInt(maxGraceSeconds)) {
    throw rpcErrors.invalidArgument(
      "expires_in_seconds",
      `must be between 0 and ${maxGraceSeconds} (7 days)`,
    );
  }
  const { secret, sealed } = newWebhookSecret(context, id);
  const now = context.clock.now();
  const endpoint = await webhookEndpointRepository.rollSecret(
    context.db,
    merchantId,
    id,
    {
      secretCiphertext: sealed,
      previousExpiresAt: new Date(now.getTime() + Number(graceSeconds) * 1000),
    },
    now,
  );
  if (!endpoint) throw rpcErrors.notFound("webhook endpoint", id);
  return create(RollWebhookEndpointSecretResponseSchema, {
    webhookEndpoint: webhookEndpointMessage(endpoint, now),
    secret,
  });
}
