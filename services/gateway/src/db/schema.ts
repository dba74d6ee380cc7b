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

/** The Postgres schema the gateway owns: payments, refunds, idempotency, the outbox and webhooks. */
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
    // The reconciler's scans: every status it finishes or expires, by age. Named by the final
    // statuses it leaves out: the statuses added in 0004 cannot be written as literals in the
    // migration that also creates them, which a fresh database runs in the same transaction.
    index("payments_unfinished_idx")
      .on(table.status, table.updatedAt)
      .where(sql`${table.status} not in ('SUCCEEDED', 'FAILED', 'CANCELLED')`),
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

/**
 * A merchant's webhook endpoint. The signing secret is needed in the clear to sign, so it is
 * kept encrypted (AES-256-GCM under WEBHOOK_SECRET_KEY, see webhook-secret-box.ts), never
 * hashed; a rolled secret's predecessor signs too until `previous_secret_expires_at`. Deleting
 * sets `deleted_at`: rows are never deleted.
 */
export const webhookEndpoints = gatewaySchema.table(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    /** Event types sent to it, or `*` for every type. */
    enabledEvents: text("enabled_events").array().notNull(),
    /** Why deliveries are stopped; null while enabled. */
    disabledReason: text("disabled_reason"),
    secretCiphertext: text("secret_ciphertext").notNull(),
    previousSecretCiphertext: text("previous_secret_ciphertext"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
    /** When the first failed attempt since the last 2xx was made; null when the last one succeeded. */
    failingSince: timestamp("failing_since", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (table) => [index("webhook_endpoints_merchant_idx").on(table.merchantId, table.id)],
);

/**
 * What happened to a merchant's payment or refund, as webhooks deliver it: written in the same
 * transaction as the status change (transition-repository.ts), with the object as the public
 * API showed it then (its proto JSON). Never updated, never deleted.
 */
export const events = gatewaySchema.table(
  "events",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    type: text("type").notNull(),
    apiVersion: text("api_version").notNull(),
    /** The payment or refund it is about. */
    subjectId: text("subject_id").notNull(),
    /** The contract's EventData as proto JSON (`{"payment": {…}}`). */
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    index("events_merchant_idx").on(table.merchantId, table.id),
    index("events_merchant_type_idx").on(table.merchantId, table.type, table.id),
  ],
);

/** PENDING (due at next_attempt_at) → DELIVERED, or FAILED after the last attempt. */
export const webhookDeliveryStatus = gatewaySchema.enum("webhook_delivery_status", [
  "PENDING",
  "DELIVERED",
  "FAILED",
]);

/**
 * One event to deliver to one endpoint: made in the event's transaction for every enabled
 * endpoint subscribed to its type, or by RedeliverEvent. The webhook relay claims due rows with
 * FOR UPDATE SKIP LOCKED and a lease, like the outbox. Never deleted.
 */
export const webhookDeliveries = gatewaySchema.table(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    merchantId: text("merchant_id").notNull(),
    status: webhookDeliveryStatus("status").notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (table) => [
    index("webhook_deliveries_due_idx")
      .on(table.nextAttemptAt)
      .where(sql`${table.status} = 'PENDING'`),
    index("webhook_deliveries_event_idx").on(table.eventId),
    index("webhook_deliveries_endpoint_idx").on(table.endpointId, table.status),
  ],
);

/** Every HTTP attempt of a delivery, as the receiver answered it (or why it got no answer). */
export const webhookAttempts = gatewaySchema.table(
  "webhook_attempts",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull(),
    /** Null when no answer came (refused, timed out, not sent). */
    statusCode: integer("status_code"),
    latencyMs: integer("latency_ms").notNull(),
    /** The first 1 KiB of the answer's body. */
    responseBody: text("response_body"),
    error: text("error"),
  },
  (table) => [index("webhook_attempts_delivery_idx").on(table.deliveryId, table.id)],
);

export type PaymentRow = typeof payments.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type StatusTransitionRow = typeof statusTransitions.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
