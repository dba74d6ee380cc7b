import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type ListWebhookEndpointsRequest,
  type ListWebhookEndpointsResponse,
  ListWebhookEndpointsResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { decodePageToken, pageOf, pageSizeOf } from "@kassa/platform";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { webhookEndpointMessage } from "../webhook-message.js";

/** ListWebhookEndpoints: the caller's endpoints (deleted ones excluded), newest first. */
export async function listWebhookEndpoints(
  context: GatewayContext,
  request: ListWebhookEndpointsRequest,
  call: HandlerContext,
): Promise<ListWebhookEndpointsResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const pageSize = pageSizeOf(request.pageSize);
  const after = decodePageToken(request.pageToken, {});
  const rows = await webhookEndpointRepository.page(context.db, merchantId, after, pageSize + 1);
  const { page, nextPageToken } = pageOf(rows, pageSize, {});
  const now = context.clock.now();
  return create(ListWebhookEndpointsResponseSchema, {
    webhookEndpoints: page.map((row) => webhookEndpointMessage(row, now)),
    nextPageToken,
  });
}
