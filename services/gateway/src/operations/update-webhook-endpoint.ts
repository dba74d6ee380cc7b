import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type UpdateWebhookEndpointRequest,
  type UpdateWebhookEndpointResponse,
  UpdateWebhookEndpointResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { rpcErrors } from "@kassa/platform";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { webhookEndpointMessage } from "../webhook-message.js";
import { webhookFields } from "./webhook-fields.js";

/**
 * UpdateWebhookEndpoint: validate the fields set → apply them. Enabling an endpoint (also one
 * Kassa disabled for failing) lets its waiting deliveries go out, so the relay is woken.
 */
export async function updateWebhookEndpoint(
  context: GatewayContext,
  request: UpdateWebhookEndpointRequest,
  call: HandlerContext,
): Promise<UpdateWebhookEndpointResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const id = webhookFields.endpointId(request.webhookEndpointId);
  const update = {
    url: request.url === undefined ? undefined : await webhookFields.url(context, request.url),
    enabledEvents:
      request.enabledEvents.length === 0
        ? undefined
        : webhookFields.enabledEvents(request.enabledEvents),
    description:
      request.description === undefined
        ? undefined
        : webhookFields.description(request.description),
    disabledReason:
      request.disabled === undefined ? undefined : request.disabled ? "disabled by request" : null,
  };
  const now = context.clock.now();
  const endpoint = await webhookEndpointRepository.update(context.db, merchantId, id, update, now);
  if (!endpoint) throw rpcErrors.notFound("webhook endpoint", id);
  if (request.disabled === false) context.webhooks.wake();
  return create(UpdateWebhookEndpointResponseSchema, {
    webhookEndpoint: webhookEndpointMessage(endpoint, now),
  });
}
