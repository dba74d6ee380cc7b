import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Event,
  EventDataSchema,
  EventSchema,
  type WebhookDelivery,
  WebhookDeliverySchema,
  WebhookDeliveryStatus,
  type WebhookEndpoint,
  WebhookEndpointSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { EventRow, WebhookDeliveryRow, WebhookEndpointRow } from "./db/schema.js";

/** A webhook endpoint row as the contract's WebhookEndpoint (never with its secret). */
export function webhookEndpointMessage(row: WebhookEndpointRow, now: Date): WebhookEndpoint {
  const previousExpiresAt = row.previousSecretExpiresAt;
  return create(WebhookEndpointSchema, {
    id: row.id,
    url: row.url,
    enabledEvents: row.enabledEvents,
    description: row.description,
    disabled: row.disabledReason !== null,
    disabledReason: row.disabledReason ?? "",
    // Only while the previous secret still signs.
    ...(previousExpiresAt &&
      previousExpiresAt > now && { previousSecretExpiresAt: timestampFromDate(previousExpiresAt) }),
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
  });
}

/** An event row as the contract's Event: what ListEvents returns and webhooks POST (as JSON). */
export function eventMessage(row: EventRow): Event {
  return create(EventSchema, {
    id: row.id,
    type: row.type,
    createdAt: timestampFromDate(row.createdAt),
    apiVersion: row.apiVersion,
    data: fromJson(EventDataSchema, row.data as JsonValue, { ignoreUnknownFields: true }),
  });
}

const deliveryStatuses = {
  PENDING: WebhookDeliveryStatus.PENDING,
  DELIVERED: WebhookDeliveryStatus.DELIVERED,
  FAILED: WebhookDeliveryStatus.FAILED,
} as const satisfies Record<WebhookDeliveryRow["status"], WebhookDeliveryStatus>;

/** A delivery row as the contract's WebhookDelivery. */
export function webhookDeliveryMessage(row: WebhookDeliveryRow): WebhookDelivery {
  return create(WebhookDeliverySchema, {
    id: row.id,
    webhookEndpointId: row.endpointId,
    status: deliveryStatuses[row.status],
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode ?? 0,
    lastError: row.lastError ?? "",
    ...(row.status === "PENDING" && { nextAttemptAt: timestampFromDate(row.nextAttemptAt) }),
    ...(row.deliveredAt && { deliveredAt: timestampFromDate(row.deliveredAt) }),
    createdAt: timestampFromDate(row.createdAt),
  });
}
