import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type CreateWebhookEndpointRequest,
  type CreateWebhookEndpointResponse,
  CreateWebhookEndpointResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { createId } from "@kassa/platform";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { webhookEndpointMessage } from "../webhook-message.js";
import { newWebhookSecret, webhookFields } from "./webhook-fields.js";

/**
 * CreateWebhookEndpoint: validate (the URL's host resolved and judged) → persist the endpoint
 * with its new secret sealed → answer the secret, this once.
 */
export async function createWebhookEndpoint(
  context: GatewayContext,
  request: CreateWebhookEndpointRequest,
  call: HandlerContext,
): Promise<CreateWebhookEndpointResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const url = await webhookFields.url(context, request.url);
  const enabledEvents = webhookFields.enabledEvents(request.enabledEvents);
  const description = webhookFields.description(request.description);

  const id = createId("we");
  const { secret, sealed } = newWebhookSecret(context, id);
  const now = context.clock.now();
  const endpoint = await webhookEndpointRepository.create(context.db, {
    id,
    merchantId,
    url,
    description,
    enabledEvents,
    secretCiphertext: sealed,
    at: now,
  });
  return create(CreateWebhookEndpointResponseSchema, {
    webhookEndpoint: webhookEndpointMessage(endpoint, now),
    secret,
  });
}
