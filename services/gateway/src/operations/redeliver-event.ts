import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type RedeliverEventRequest,
  type RedeliverEventResponse,
  RedeliverEventResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { eventRepository } from "../db/event-repository.js";
import { webhookDeliveryRepository } from "../db/webhook-delivery-repository.js";
import { webhookEndpointRepository } from "../db/webhook-endpoint-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { webhookDeliveryMessage } from "../webhook-message.js";
import { webhookFields } from "./webhook-fields.js";

/**
 * RedeliverEvent: validate → load the event (and the endpoint, when one is named) → check the
 * endpoint is enabled → persist a new PENDING delivery per endpoint; the relay sends them.
 * Operators may redeliver any merchant's event (`kassa webhooks redeliver`).
 */
export async function redeliverEvent(
  context: GatewayContext,
  request: RedeliverEventRequest,
  call: HandlerContext,
): Promise<RedeliverEventResponse> {
  const scope = readerScope(call);
  const eventId = requestFields.id("event_id", request.eventId, "evt");
  const endpointId =
    request.webhookEndpointId === ""
      ? undefined
      : webhookFields.endpointId(request.webhookEndpointId);

  const event = await eventRepository.find(context.db, scope, eventId);
  if (!event) throw rpcErrors.notFound("event", eventId);
  let endpointIds: string[];
  if (endpointId) {
    const endpoint = await webhookEndpointRepository.find(context.db, event.merchantId, endpointId);
    if (!endpoint) throw rpcErrors.notFound("webhook endpoint", endpointId);
    if (endpoint.disabledReason !== null) {
      throw rpcErrors.failedPrecondition(
        `webhook endpoint ${endpointId} is disabled (${endpoint.disabledReason}); enable it first`,
      );
    }
    endpointIds = [endpoint.id];
  } else {
    const subscribed = await webhookEndpointRepository.subscribedTo(
      context.db,
      event.merchantId,
      event.type,
    );
    endpointIds = subscribed.map((endpoint) => endpoint.id);
  }
  const deliveries = await webhookDeliveryRepository.create(
    context.db,
    event,
    endpointIds,
    context.clock.now(),
  );
  context.webhooks.wake();
  return create(RedeliverEventResponseSchema, {
    deliveries: deliveries.map(webhookDeliveryMessage),
  });
}
