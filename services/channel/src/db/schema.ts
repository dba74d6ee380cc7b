import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** The Postgres schema the channel service owns; no other service reads or writes it. */
export const channelSchema = pgSchema("channel");

/**
 * Where a charge or refund is at its provider: PENDING while it is asked (or deciding),
 * then SUCCEEDED or FAILED.
 */
export const providerStatus = channelSchema.enum("provider_status", [
  "PENDING",
  "SUCCEEDED",
  "FAILED",
]);

/**
 * Every charge asked of a provider, keyed by the caller's idempotency key per channel, and
 * every successful capture of an authorization, recorded SUCCEEDED under the authorization's id
 * as its key so the capture is refunded as a charge is. Never deleted. `refunding_amount` is the sum of its PENDING refunds: with `refunded_amount` it can
 * never exceed the charge, which the database itself enforces.
 */
export const charges = channelSchema.table(
  "charges",
  {
    id: text("id").primaryKey(),
    channel: text("channel").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    merchantId: text("merchant_id").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    paymentMethod: text("payment_method").notNull(),
    description: text("description").notNull().default(""),
    status: providerStatus("status").notNull(),
    refundedAmount: bigint("refunded_amount", { mode: "bigint" }).notNull().default(sql`0`),
    refundingAmount: bigint("refunding_amount", { mode: "bigint" }).notNull().default(sql`0`),
    providerReference: text("provider_reference"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex("charges_channel_idempotency_key").on(table.channel, table.idempotencyKey),
    check("charges_amount_positive", sql`${table.amount} > 0`),
    check(
      "charges_refunds_within_amount",
      sql`${table.refundedAmount} >= 0 and ${table.refundingAmount} >= 0 and ${table.refundedAmount} + ${table.refundingAmount} <= ${table.amount}`,
    ),
    check(
      "charges_refunds_only_when_succeeded",
      sql`${table.status} = 'SUCCEEDED' or ${table.refundedAmount} + ${table.refundingAmount} = 0`,
    ),
    check(
      "charges_failure_code_iff_failed",
      sql`(${table.status} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/** Every refund asked of a provider, keyed by the caller's idempotency key per channel. Never deleted. */
export const refunds = channelSchema.table(
  "refunds",
  {
    id: text("id").primaryKey(),
    channel: text("channel").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    chargeId: text("charge_id")
      .notNull()
      .references(() => charges.id),
    merchantId: text("merchant_id").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    reason: text("reason").notNull().default(""),
    status: providerStatus("status").notNull(),
    providerReference: text("provider_reference"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex("refunds_channel_idempotency_key").on(table.channel, table.idempotencyKey),
    index("refunds_charge_id_idx").on(table.chargeId),
    check("refunds_amount_positive", sql`${table.amount} > 0`),
    check(
      "refunds_failure_code_iff_failed",
      sql`(${table.status} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/**
 * Where an authorization is at its provider: PENDING while it is asked, then AUTHORIZED (held)
 * or FAILED (declined). A held one is CAPTURING or VOIDING while that is asked, then CAPTURED,
 * FAILED (capture declined) or VOIDED; one left alone past its expiry is EXPIRED.
 */
export const authorizationStatus = channelSchema.enum("authorization_status", [
  "PENDING",
  "AUTHORIZED",
  "FAILED",
  "CAPTURING",
  "CAPTURED",
  "VOIDING",
  "VOIDED",
  "EXPIRED",
]);

/**
 * Every authorization asked of a provider, keyed by the caller's idempotency key per channel,
 * with its one capture or void. Never deleted. `capture_amount` is what the capture asked for,
 * set when it is claimed; the database keeps it within the authorized amount. `charge_id` is
 * the charge a successful capture records in the same transaction, which refunds go through.
 */
export const authorizations = channelSchema.table(
  "authorizations",
  {
    id: text("id").primaryKey(),
    channel: text("channel").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    merchantId: text("merchant_id").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    paymentMethod: text("payment_method").notNull(),
    description: text("description").notNull().default(""),
    status: authorizationStatus("status").notNull(),
    captureAmount: bigint("capture_amount", { mode: "bigint" }),
    /** The SUCCEEDED charge recorded for the captured amount, so the capture is refundable. */
    chargeId: text("charge_id").references(() => charges.id),
    providerReference: text("provider_reference"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex("authorizations_channel_idempotency_key").on(table.channel, table.idempotencyKey),
    check("authorizations_amount_positive", sql`${table.amount} > 0`),
    check(
      "authorizations_capture_within_amount",
      sql`${table.captureAmount} is null or (${table.captureAmount} > 0 and ${table.captureAmount} <= ${table.amount})`,
    ),
    check(
      "authorizations_capture_amount_when_captured",
      sql`${table.status} not in ('CAPTURING', 'CAPTURED') or ${table.captureAmount} is not null`,
    ),
    uniqueIndex("authorizations_charge_id").on(table.chargeId),
    check(
      "authorizations_charge_only_when_captured",
      sql`${table.chargeId} is null or ${table.status} = 'CAPTURED'`,
    ),
    check(
      "authorizations_expiry_once_authorized",
      sql`${table.status} in ('PENDING', 'FAILED') or ${table.expiresAt} is not null`,
    ),
    check(
      "authorizations_failure_code_iff_failed",
      sql`(${table.status} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/**
 * A decision the sandbox provider made. It decides at once, except for the charges of
 * `tok_pendingThen…` tokens: PENDING until their notification is due (`sandbox_notifications`).
 */
export const sandboxOutcome = channelSchema.enum("sandbox_outcome", [
  "SUCCEEDED",
  "FAILED",
  "PENDING",
]);

/**
 * The sandbox provider's own ledger of charges, as a real provider keeps one on its side: the
 * id is the charge id it was asked with (and its reference), so asking twice charges once.
 */
export const sandboxCharges = channelSchema.table(
  "sandbox_charges",
  {
    id: text("id").primaryKey(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    outcome: sandboxOutcome("outcome").notNull(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    /** Set for `tok_refundFails`: the sandbox then declines every refund of the charge. */
    declinesRefunds: boolean("declines_refunds").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    check("sandbox_charges_amount_positive", sql`${table.amount} > 0`),
    check(
      "sandbox_charges_failure_code_iff_failed",
      sql`(${table.outcome} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/** The sandbox provider's own ledger of refunds, keyed like its charges by the refund id. */
export const sandboxRefunds = channelSchema.table(
  "sandbox_refunds",
  {
    id: text("id").primaryKey(),
    chargeId: text("charge_id")
      .notNull()
      .references(() => sandboxCharges.id),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    outcome: sandboxOutcome("outcome").notNull(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    index("sandbox_refunds_charge_id_idx").on(table.chargeId),
    check("sandbox_refunds_amount_positive", sql`${table.amount} > 0`),
    check(
      "sandbox_refunds_failure_code_iff_failed",
      sql`(${table.outcome} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/**
 * The sandbox provider's own ledger of authorizations, keyed by the authorization id it was
 * asked with, with the one capture or void it made of each (never both: the database refuses).
 */
export const sandboxAuthorizations = channelSchema.table(
  "sandbox_authorizations",
  {
    id: text("id").primaryKey(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    outcome: sandboxOutcome("outcome").notNull(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    /** Set for `tok_captureDeclined`: the sandbox then declines the capture. */
    declinesCapture: boolean("declines_capture").notNull(),
    /** Set for `tok_captureTimeout`: the sandbox captures, then holds its answer. */
    holdsCaptureAnswer: boolean("holds_capture_answer").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    captureAmount: bigint("capture_amount", { mode: "bigint" }),
    captureOutcome: sandboxOutcome("capture_outcome"),
    captureFailureCode: text("capture_failure_code"),
    captureFailureMessage: text("capture_failure_message"),
    capturedAt: timestamp("captured_at", { withTimezone: true }),
    voidedAt: timestamp("voided_at", { withTimezone: true }),
  },
  (table) => [
    check("sandbox_authorizations_amount_positive", sql`${table.amount} > 0`),
    check(
      "sandbox_authorizations_failure_code_iff_failed",
      sql`(${table.outcome} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
    check(
      "sandbox_authorizations_capture_or_void",
      sql`${table.captureOutcome} is null or ${table.voidedAt} is null`,
    ),
  ],
);

/**
 * The notifications the sandbox provider owes, as a real provider keeps them: each is the
 * decision of a PENDING sandbox charge, made when it is due (`next_attempt_at` of its first
 * attempt) and then POSTed, signed, to the channel's `/webhooks/sandbox` until acknowledged
 * with a 2xx. Kept here, not in memory, so a restart resends what was not acknowledged.
 * Never deleted.
 */
export const sandboxNotifications = channelSchema.table(
  "sandbox_notifications",
  {
    /** The event id (`evt_…`) the channel deduplicates on; the same on every attempt. */
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    /** The sandbox charge (or refund) it decides, by the id it was asked with. */
    subjectId: text("subject_id").notNull(),
    outcome: sandboxOutcome("outcome").notNull(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    index("sandbox_notifications_due_idx")
      .on(table.nextAttemptAt)
      .where(sql`${table.acknowledgedAt} is null`),
    check("sandbox_notifications_kind", sql`${table.kind} in ('charge', 'refund')`),
    // Names the decided values: PENDING was added in the same migration, which may not use it.
    check("sandbox_notifications_decided", sql`${table.outcome} in ('SUCCEEDED', 'FAILED')`),
    check(
      "sandbox_notifications_failure_code_iff_failed",
      sql`(${table.outcome} = 'FAILED') = (${table.failureCode} is not null)`,
    ),
  ],
);

/**
 * Every provider notification the channel accepted (verified), by the provider's event id:
 * the unique key makes a replayed or resent notification a duplicate that changes nothing.
 * `applied` says whether it settled a PENDING charge or refund (false: it was final already,
 * or unknown here). Never deleted.
 */
export const providerNotifications = channelSchema.table(
  "provider_notifications",
  {
    channel: text("channel").notNull(),
    eventId: text("event_id").notNull(),
    kind: text("kind").notNull(),
    /** The charge or refund id the notification concerns (the provider's idempotency key). */
    subjectId: text("subject_id").notNull(),
    /** What the provider decided: SUCCEEDED or FAILED. */
    status: providerStatus("status").notNull(),
    applied: boolean("applied").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.channel, table.eventId] }),
    check("provider_notifications_kind", sql`${table.kind} in ('charge', 'refund')`),
  ],
);

export type ChargeRow = typeof charges.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type SandboxChargeRow = typeof sandboxCharges.$inferSelect;
export type SandboxRefundRow = typeof sandboxRefunds.$inferSelect;
export type AuthorizationRow = typeof authorizations.$inferSelect;
export type SandboxAuthorizationRow = typeof sandboxAuthorizations.$inferSelect;
export type SandboxNotificationRow = typeof sandboxNotifications.$inferSelect;
export type ProviderNotificationRow = typeof providerNotifications.$inferSelect;
