import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  CaptureMethod,
  type Payment,
  type PaymentEvent,
  PaymentEventSchema,
  PaymentSchema,
  PaymentStatus,
  type Refund,
  RefundSchema,
  RefundStatus,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { capturedAmount } from "./db/captured-amount.js";
import type { PaymentRow, RefundRow, StatusTransitionRow } from "./db/schema.js";

/**
 * Database statuses as the contract's enum. A capture or a void in flight (CAPTURING,
 * CANCELLING) is PROCESSING to a merchant: an outcome at the channel is pending.
 */
export const paymentStatuses = {
  PENDING: PaymentStatus.PENDING,
  PROCESSING: PaymentStatus.PROCESSING,
  SUCCEEDED: PaymentStatus.SUCCEEDED,
  FAILED: PaymentStatus.FAILED,
  CANCELLED: PaymentStatus.CANCELLED,
  REQUIRES_CAPTURE: PaymentStatus.REQUIRES_CAPTURE,
  CAPTURING: PaymentStatus.PROCESSING,
  CANCELLING: PaymentStatus.PROCESSING,
} as const satisfies Record<PaymentRow["status"], PaymentStatus>;

/** Database statuses a contract status filter selects. */
export const paymentStatusesOf = (status: PaymentStatus): PaymentRow["status"][] =>
  (Object.keys(paymentStatuses) as PaymentRow["status"][]).filter(
    (row) => paymentStatuses[row] === status,
  );

/** Database refund statuses as the contract's enum. */
export const refundStatuses = {
  PENDING: RefundStatus.PENDING,
  SUCCEEDED: RefundStatus.SUCCEEDED,
  FAILED: RefundStatus.FAILED,
} as const satisfies Record<RefundRow["status"], RefundStatus>;

/** A payment row as the contract's Payment. */
export function paymentMessage(row: PaymentRow): Payment {
  return create(PaymentSchema, {
    id: row.id,
    merchantId: row.merchantId,
    merchantOrderNo: row.merchantOrderNo,
    orderId: row.orderId ?? "",
    amount: row.amount,
    currency: row.currency,
    status: paymentStatuses[row.status],
    refundedAmount: row.refundedAmount,
    channel: row.channel,
    channelPaymentId: row.channelPaymentId ?? "",
    failureCode: row.failureCode ?? "",
    failureMessage: row.failureMessage ?? "",
    riskScore: row.riskScore,
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
    description: row.description,
    metadata: row.metadata,
    captureMethod: row.captureMethod === "MANUAL" ? CaptureMethod.MANUAL : CaptureMethod.AUTOMATIC,
    amountCapturable: row.status === "REQUIRES_CAPTURE" ? row.amount : 0n,
    amountCaptured: capturedAmount(row).amount,
    ...(row.capturedAt && { capturedAt: timestampFromDate(row.capturedAt) }),
    ...(row.cancelledAt && { cancelledAt: timestampFromDate(row.cancelledAt) }),
    cancellationReason: row.status === "CANCELLED" ? (row.cancellationReason ?? "") : "",
  });
}

/** A refund row as the contract's Refund. */
export function refundMessage(row: RefundRow): Refund {
  return create(RefundSchema, {
    id: row.id,
    paymentId: row.paymentId,
    merchantId: row.merchantId,
    amount: row.amount,
    currency: row.currency,
    status: refundStatuses[row.status],
    channelRefundId: row.channelRefundId ?? "",
    reason: row.reason,
    failureCode: row.failureCode ?? "",
    failureMessage: row.failureMessage ?? "",
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
  });
}

/**
 * A history row as the contract's PaymentEvent. Payments and refunds have different status
 * enums, so a status travels as its enum value name (`PAYMENT_STATUS_PENDING`), which is also
 * how the JSON form of Payment and Refund spells it.
 */
export function paymentEventMessage(row: StatusTransitionRow): PaymentEvent {
  // A payment's internal CAPTURING and CANCELLING read as the PROCESSING they are shown as.
  const statusName = (status: string) =>
    row.subject === "payment"
      ? `PAYMENT_STATUS_${PaymentStatus[paymentStatuses[status as PaymentRow["status"]]]}`
      : `REFUND_STATUS_${status}`;
  return create(PaymentEventSchema, {
    subjectId: row.subjectId,
    fromStatus: row.fromStatus === null ? "" : statusName(row.fromStatus),
    toStatus: statusName(row.toStatus),
    occurredAt: timestampFromDate(row.occurredAt),
    reason: row.reason,
    actor: row.actor,
  });
}
