import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgSchema,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { StoredOutboxPayload } from "../outbox/outbox-payloads.js";

/** The Postgres schema the gateway owns: payments, refunds, idempotency and the outbox. */
export const gatewaySchema = pgSchema("gateway");

/**
 * PENDING → PROCESSING → SUCCEEDED | FAILED; PENDING → FAILED | CANCELLED. Manual capture:
 * PROCESSING → REQUIRES_CAPTURE (authorized); REQUIRES_CAPTURE → CAPTURING → SUCCEEDED | FAILED;
 * REQUIRES_CAPTURE → CANCELLING → CANCELLED. CAPTURING and CANCELLING claim the authorization
 * before the channel is called, so a capture and a void never both reach it; the contract shows
 * both as PROCESSING (an outcome at the channel is pending).
 */
export const paymentStatus = gatewaySchema.enum("payment_status", [
  "PENDING",
  "PROCESSING",
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "REQUIRES_CAPTURE",
  "CAPTURING",
  "CANCELLING",
]);

/** When a payment's money is taken: at once, or by a later CapturePayment. */
export const captureMethod = gatewaySchema.enum("capture_method", ["AUTOMATIC", "MANUAL"]);

/** PENDING → SUCCEEDED | FAILED. */
export const refundStatus = gatewaySchema.enum("refund_status", ["PENDING", "SUCCEEDED", "FAILED"]);

/**
 * A merchant's payment. The idempotency key and the merchant order number are each unique per
 * merchant; `request_digest` (a SHA-256 of the request, payment method included) tells a replay
 * from a different request without keeping the payment method. Never deleted.
 */
export const payments = gatewaySchema.table(
  "payments",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestDigest: text("request_digest").notNull(),
    merchantOrderNo: text("merchant_order_no").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    channel: text("channel").notNull(),
    status: paymentStatus("status").notNull(),
    orderId: text("order_id"),
    channelPaymentId: text("channel_payment_id"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    riskScore: integer("risk_score").notNull().default(0),
    refundedAmount: bigint("refunded_amount", { mode: "bigint" }).notNull().default(sql`0`),
    description: text("description").notNull().default(""),
    metadata: jsonb("metadata").$type<Record<string, string>>().notNull().default({}),
    captureMethod: captureMethod("capture_method").notNull().default("AUTOMATIC"),
    /** The amount a manual capture asked for, set when it was claimed; null for automatic. */
    captureAmount: bigint("capture_amount", { mode: "bigint" }),
    /** The CapturePayment idempotency key that claimed the capture. */
    captureIdempotencyKey: text("capture_idempotency_key"),
    capturedAt: timestamp("captured_at", { withTimezone: true }),
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
    /** Set when the cancel is claimed (CANCELLING), kept once CANCELLED. */
    cancellationReason: text("cancellation_reason"),
    /**
     * W3C `traceparent` of the request that wrote the row, so work done later (the
     * reconciler, an outbox delivery) can link its span to that trace. Null when untraced.
     */
    traceparent: text("traceparent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex("payments_idempotency_key").on(table.merchantId, table.idempotencyKey),
    uniqueIndex("payments_merchant_order_no").on(table.merchantId, table.merchantOrderNo),
    index("payments_merchant_id_idx").on(table.merchantId, table.id),
    index("payments_unfinished_idx")
      .on(table.status, table.updatedAt)
      .where(sql`${table.status} in ('PENDING', 'PROCESSING')`),
    check("payments_amount_positive", sql`${table.amount} > 0`),
    check(
      "payments_capture_within_amount",
      sql`${table.captureAmount} is null or (${table.captureAmount} > 0 and ${table.captureAmount} <= ${table.amount})`,
    ),
    check(
      "payments_refunded_within_amount",
      sql`${table.refundedAmount} >= 0 and ${table.refundedAmount} <= ${table.amount}`,
    ),
    check(
      "payments_failure_code_iff_failed",
      sql`(${table.status} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/** A refund of a payment; its amount is reserved while PENDING. Never deleted. */
export const refunds = gatewaySchema.table(
  "refunds",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id")
      .notNull()
      .references(() => payments.id),
    merchantId: text("merchant_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestDigest: text("request_digest").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    status: refundStatus("status").notNull(),
    channelRefundId: text("channel_refund_id"),
    reason: text("reason").notNull().default(""),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    /**
     * W3C `traceparent` of the request that wrote the row, so work done later (the
     * reconciler, an outbox delivery) can link its span to that trace. Null when untraced.
     */
    traceparent: text("traceparent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex("refunds_idempotency_key").on(table.merchantId, table.idempotencyKey),
    index("refunds_payment_id_idx").on(table.paymentId),
    index("refunds_merchant_id_idx").on(table.merchantId, table.id),
    index("refunds_pending_idx").on(table.updatedAt).where(sql`${table.status} = 'PENDING'`),
    check("refunds_amount_positive", sql`${table.amount} > 0`),
    check(
      "refunds_failure_code_iff_failed",
      sql`(${table.status} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/** PENDING (due at next_attempt_at) → DELIVERED, or EXHAUSTED after the last attempt. */
export const outboxStatus = gatewaySchema.enum("outbox_status", [
  "PENDING",
  "DELIVERED",
  "EXHAUSTED",
]);

/**
 * Events to deliver to other services, written in the same transaction as the state change
 * they follow from. Rows are never deleted: a delivered row records when it went out, an
 * exhausted one stays for an operator (and keeps health degraded).
 */
export const outbox = gatewaySchema.table(
  "outbox",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    kind: text("kind").notNull(),
    /** The payment or refund the event is about. */
    subjectId: text("subject_id").notNull(),
    payload: jsonb("payload").$type<StoredOutboxPayload>().notNull(),
    status: outboxStatus("status").notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    lastError: text("last_error"),
    /**
     * W3C `traceparent` of the request that wrote the row, so work done later (the
     * reconciler, an outbox delivery) can link its span to that trace. Null when untraced.
     */
    traceparent: text("traceparent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (table) => [
    index("outbox_due_idx")
      .on(table.nextAttemptAt, table.id)
      .where(sql`${table.status} = 'PENDING'`),
    index("outbox_subject_idx").on(table.subjectId),
  ],
);

/** What a status transition is about: a payment, or one of its refunds. */
export const transitionSubject = gatewaySchema.enum("transition_subject", ["payment", "refund"]);

/**
 * The append-only history of every payment's and refund's status: one row per transition,
 * written in the same transaction as the change it records, never updated, never deleted.
 * One table for both subjects, keyed by the payment each belongs to, so a payment's whole
 * story (its refunds included) reads as one ordered query with one page cursor. `sequence`
 * orders it: a transition can only follow the committed one it starts from, so it always
 * draws a higher number.
 */
export const statusTransitions = gatewaySchema.table(
  "status_transitions",
  {
    sequence: bigserial("sequence", { mode: "bigint" }).primaryKey(),
    subject: transitionSubject("subject").notNull(),
    /** The payment or refund whose status changed. */
    subjectId: text("subject_id").notNull(),
    /** The payment itself, or the payment a refund belongs to. */
    paymentId: text("payment_id")
      .notNull()
      .references(() => payments.id),
    /** Null when the transition is the subject's creation. */
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    /** A failure code, or a short why (`charge succeeded`). */
    reason: text("reason").notNull(),
    /** Who made it: `request:<request id>` or a worker (`reconciler`). */
    actor: text("actor").notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
  },
  (table) => [index("status_transitions_payment_idx").on(table.paymentId, table.sequence)],
);

export type PaymentRow = typeof payments.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type StatusTransitionRow = typeof statusTransitions.$inferSelect;
