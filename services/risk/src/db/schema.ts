import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgSchema, text, timestamp } from "drizzle-orm/pg-core";

/** The Postgres schema the risk service owns; no other service reads or writes it. */
export const riskSchema = pgSchema("risk");

/** What a blocklist entry's value is matched against. */
export const blocklistEntryType = riskSchema.enum("blocklist_entry_type", [
  "EMAIL",
  "IP",
  "DEVICE_ID",
  "PAYMENT_METHOD",
]);

/** What the caller should do with an assessed payment. */
export const riskDecision = riskSchema.enum("risk_decision", ["APPROVE", "REVIEW", "REJECT"]);

/**
 * Blocked values. Removal is a soft delete (`removed_at`), so the list of what was blocked,
 * when and why is never lost. At most one active entry per (type, value) is enforced by the
 * add operation under an advisory lock: "active" depends on the clock (expiry), which a
 * partial unique index cannot express.
 */
export const blocklistEntries = riskSchema.table(
  "blocklist_entries",
  {
    id: text("id").primaryKey(),
    type: blocklistEntryType("type").notNull(),
    /** Normalised: emails lower-cased, IPs in canonical text form. */
    value: text("value").notNull(),
    reason: text("reason").notNull().default(""),
    /** Null: never expires. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    /** Null while not removed. */
    removedAt: timestamp("removed_at", { withTimezone: true }),
  },
  (table) => [
    // Assess looks up every candidate value among entries not removed.
    index("blocklist_entries_match_idx")
      .on(table.type, table.value)
      .where(sql`${table.removedAt} is null`),
    index("blocklist_entries_type_idx").on(table.type, table.id),
    check("blocklist_entries_value_length", sql`char_length(${table.value}) between 1 and 255`),
    check(
      "blocklist_entries_expires_after_creation",
      sql`${table.expiresAt} is null or ${table.expiresAt} > ${table.createdAt}`,
    ),
    check(
      "blocklist_entries_removed_after_creation",
      sql`${table.removedAt} is null or ${table.removedAt} >= ${table.createdAt}`,
    ),
  ],
);

/**
 * Every Assess answer with the inputs it was made from: the audit trail of risk decisions.
 * Never updated or deleted.
 */
export const decisions = riskSchema.table(
  "decisions",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    /** The payment being assessed, when the caller named it. */
    paymentId: text("payment_id"),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    /** Lower-cased, as matched against the blocklist. */
    customerEmail: text("customer_email"),
    /** Canonical text form, as matched against the blocklist. */
    customerIp: text("customer_ip"),
    customerDeviceId: text("customer_device_id"),
    paymentMethod: text("payment_method"),
    score: integer("score").notNull(),
    decision: riskDecision("decision").notNull(),
    /** Reason codes in evaluation order. */
    reasons: text("reasons").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    index("decisions_merchant_id_idx").on(table.merchantId, table.id),
    index("decisions_payment_id_idx")
      .on(table.paymentId)
      .where(sql`${table.paymentId} is not null`),
    check("decisions_amount_positive", sql`${table.amount} > 0`),
    check("decisions_score_range", sql`${table.score} between 0 and 100`),
  ],
);

export type BlocklistEntryRow = typeof blocklistEntries.$inferSelect;
export type BlocklistEntryTypeName = BlocklistEntryRow["type"];
export type DecisionRow = typeof decisions.$inferSelect;
