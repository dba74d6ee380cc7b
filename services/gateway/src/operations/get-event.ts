import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type GetEventRequest,
  type GetEventResponse,
  GetEventResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { eventRepository } from "../db/event-repository.js";
import { webhookDeliveryRepository } from "../db/webhook-delivery-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { eventMessage, webhookDeliveryMessage } from "../webhook-message.js";

/** GetEvent: one of the caller's events with its deliveries; another merchant's is NOT_FOUND. */
export async function getEvent(
  context: GatewayContext,
  request: GetEventRequest,
  call: HandlerContext,
): Promise<GetEventResponse> {
  const merchantId = readerScope(call);
  const eventId = requestFields.id("event_id", request.eventId, "evt");
  const event = await eventRepository.find(context.db, merchantId, eventId);
  if (!event) throw rpcErrors.notFound("event", eventId);
  const deliveries = await webhookDeliveryRepository.forEvent(context.db, eventId);
  return create(GetEventResponseSchema, {
    event: eventMessage(event),
    deliveries: deliveries.map(webhookDeliveryMessage),
  });
}
