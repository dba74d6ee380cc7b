import { create, toJson } from "@bufbuild/protobuf";
import { type EventData, EventDataSchema } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { PaymentRow, RefundRow } from "../db/schema.js";
import { paymentMessage, refundMessage } from "../payment-message.js";

/** The version of the shape of events' `data`, sent as `api_version`. */
export const eventApiVersion = "2026-12-01";

/**
 * Every event type, in the order a merchant meets them. `settlement.completed` is not here:
 * settlements live in the accounting service's database, and the gateway sees no transaction
 * that completes one.
 */
export const eventTypes = [
  "payment.processing",
  "payment.requires_capture",
  "payment.succeeded",
  "payment.captured",
  "payment.failed",
  "payment.cancelled",
  "refund.succeeded",
  "refund.failed",
] as const;

/** One of {@link eventTypes}. */
export type EventType = (typeof eventTypes)[number];

/** An event about to be written, in the transaction of the change it reports. */
export interface NewEvent {
  readonly merchantId: string;
  readonly type: EventType;
  readonly subjectId: string;
  /** The contract's EventData as proto JSON. */
  readonly data: Record<string, unknown>;
}

/**
 * The event a payment's status change produces, if any. The internal claims (CAPTURING,
 * CANCELLING) produce none: a merchant sees them as PROCESSING and hears of the outcome. A
 * manual payment's capture succeeding (CAPTURING → SUCCEEDED) is `payment.captured`; an
 * automatic payment's charge succeeding is `payment.succeeded`.
 */
export function paymentEventOf(
  from: PaymentRow["status"],
  payment: PaymentRow,
): NewEvent | undefined {
  const type = paymentEventType(from, payment.status);
  if (!type) return undefined;
  return newEvent(type, payment.merchantId, payment.id, {
    case: "payment",
    value: paymentMessage(payment),
  });
}

/** The event a refund's status change produces: its outcome. */
export function refundEventOf(_from: RefundRow["status"], refund: RefundRow): NewEvent | undefined {
  const type =
    refund.status === "SUCCEEDED"
      ? "refund.succeeded"
      : refund.status === "FAILED"
        ? "refund.failed"
        : undefined;
  if (!type) return undefined;
  return newEvent(type, refund.merchantId, refund.id, {
    case: "refund",
    value: refundMessage(refund),
  });
}

/** The object snapshot as the contract's EventData in proto JSON, which is how it is stored. */
function newEvent(
  type: EventType,
  merchantId: string,
  subjectId: string,
  object: EventData["object"],
): NewEvent {
  const data = toJson(EventDataSchema, create(EventDataSchema, { object }));
  return { merchantId, type, subjectId, data: data as Record<string, unknown> };
}

function paymentEventType(
  from: PaymentRow["status"],
  to: PaymentRow["status"],
): EventType | undefined {
  switch (to) {
    case "PROCESSING":
      return "payment.processing";
    case "REQUIRES_CAPTURE":
      return "payment.requires_capture";
    case "SUCCEEDED":
      return from === "CAPTURING" ? "payment.captured" : "payment.succeeded";
    case "FAILED":
      return "payment.failed";
    case "CANCELLED":
      return "payment.cancelled";
    default:
      return undefined;
  }
}
