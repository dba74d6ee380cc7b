import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetWebhookEndpointRequest,
  type GetWebhookEndpointResponse,
  GetWebhookEndpointResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { rpcErrors } from "@kassa/platform";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { webhookEndpointMessage } from "../webhook-message.js";
import { webhookFields } from "./webhook-fields.js";

/** GetWebhookEndpoint: one of the caller's endpoints; another's, or a deleted one, is NOT_FOUND. */
export async function getWebhookEndpoint(
  context: GatewayContext,
  request: GetWebhookEndpointRequest,
  call: HandlerContext,
): Promise<GetWebhookEndpointResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const id = webhookFields.endpointId(request.webhookEndpointId);
  const endpoint = await webhookEndpointRepository.find(context.db, merchantId, id);
  if (!endpoint) throw rpcErrors.notFound("webhook endpoint", id);
  return create(GetWebhookEndpointResponseSchema, {
    webhookEndpoint: webhookEndpointMessage(endpoint, context.clock.now()),
  });
}
