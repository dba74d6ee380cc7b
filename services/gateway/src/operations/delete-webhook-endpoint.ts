import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type DeleteWebhookEndpointRequest,
  type DeleteWebhookEndpointResponse,
  DeleteWebhookEndpointResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { rpcErrors } from "@kassa/platform";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { webhookEndpointMessage } from "../webhook-message.js";
import { webhookFields } from "./webhook-fields.js";

/** DeleteWebhookEndpoint: marks the endpoint deleted (the row and its attempts are kept). */
export async function deleteWebhookEndpoint(
  context: GatewayContext,
  request: DeleteWebhookEndpointRequest,
  call: HandlerContext,
): Promise<DeleteWebhookEndpointResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const id = webhookFields.endpointId(request.webhookEndpointId);
  const now = context.clock.now();
  const endpoint = await webhookEndpointRepository.delete(context.db, merchantId, id, now);
  if (!endpoint) throw rpcErrors.notFound("webhook endpoint", id);
  return create(DeleteWebhookEndpointResponseSchema, {
    webhookEndpoint: webhookEndpointMessage(endpoint, now),
  });
}
