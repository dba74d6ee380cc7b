import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type ListEventsRequest,
  type ListEventsResponse,
  ListEventsResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { decodePageToken, pageOf, pageSizeOf } from "@kassa/platform";
import { eventRepository } from "../db/event-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { readerScope } from "../merchant-authentication.js";
import { eventMessage } from "../webhook-message.js";
import { webhookFields } from "./webhook-fields.js";

/** ListEvents: the caller's events, newest first, optionally of one type. */
export async function listEvents(
  context: GatewayContext,
  request: ListEventsRequest,
  call: HandlerContext,
): Promise<ListEventsResponse> {
  const merchantId = readerScope(call);
  const pageSize = pageSizeOf(request.pageSize);
  const query = { type: webhookFields.eventType(request.type) };
  const after = decodePageToken(request.pageToken, query);
  const rows = await eventRepository.page(context.db, merchantId, query.type, after, pageSize + 1);
  const { page, nextPageToken } = pageOf(rows, pageSize, query);
  return create(ListEventsResponseSchema, { events: page.map(eventMessage), nextPageToken });
}
