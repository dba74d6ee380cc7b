import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  pgSchema,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** The Postgres schema the merchant service owns; no other service reads or writes it. */
export const merchantSchema = pgSchema("merchant");

/** Whether a merchant may transact. */
export const merchantStatus = merchantSchema.enum("merchant_status", ["ACTIVE", "SUSPENDED"]);

/** Whether an API key authenticates. REVOKED is final. */
export const apiKeyStatus = merchantSchema.enum("api_key_status", ["ACTIVE", "REVOKED"]);

/** A business that takes payments through Kassa. Never deleted; suspended instead. */
export const merchants = merchantSchema.table(
  "merchants",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    status: merchantStatus("status").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    check("merchants_name_length", sql`char_length(${table.name}) between 1 and 200`),
    // ListMerchants filters by status and pages by id.
    index("merchants_status_id_idx").on(table.status, table.id),
  ],
);

/**
 * One rule of a merchant's fee schedule: `currency` null is the default rule. A schedule is
 * replaced by stamping `replaced_at` on its rules and inserting new ones, so the fees that
 * applied at any time stay on record. The current schedule is the rows with no `replaced_at`.
 */
export const feeRules = merchantSchema.table(
  "fee_rules",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    merchantId: text("merchant_id")
      .notNull()
      .references(() => merchants.id),
    currency: text("currency"),
    basisPoints: integer("basis_points").notNull(),
    fixedAmount: bigint("fixed_amount", { mode: "bigint" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    replacedAt: timestamp("replaced_at", { withTimezone: true }),
  },
  (table) => [
    check("fee_rules_basis_points_range", sql`${table.basisPoints} between 0 and 10000`),
    check("fee_rules_fixed_amount_not_negative", sql`${table.fixedAmount} >= 0`),
    check(
      "fee_rules_currency_code",
      sql`${table.currency} is null or ${table.currency} ~ '^[A-Z]{3}$'`,
    ),
    // At most one current default rule and one current rule per currency.
    uniqueIndex("fee_rules_current_default_key")
      .on(table.merchantId)
      .where(sql`${table.currency} is null and ${table.replacedAt} is null`),
    uniqueIndex("fee_rules_current_currency_key")
      .on(table.merchantId, table.currency)
      .where(sql`${table.replacedAt} is null`),
  ],
);

/**
 * A merchant's secret API key, stored only as its SHA-256 digest plus the first 12 characters
 * of the secret for recognising it in listings. Never deleted; revoked instead.
 */
export const apiKeys = merchantSchema.table(
  "api_keys",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id")
      .notNull()
      .references(() => merchants.id),
    name: text("name").notNull().default(""),
    prefix: text("prefix").notNull(),
    digest: text("digest").notNull(),
    status: apiKeyStatus("status").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (table) => [
    // AuthenticateApiKey looks keys up by digest; a repeated digest would be two keys in one.
    uniqueIndex("api_keys_digest_key").on(table.digest),
    index("api_keys_merchant_id_idx").on(table.merchantId, table.id),
    check("api_keys_name_length", sql`char_length(${table.name}) <= 100`),
    check("api_keys_prefix_length", sql`char_length(${table.prefix}) = 12`),
    check("api_keys_digest_sha256_hex", sql`${table.digest} ~ '^[0-9a-f]{64}$'`),
    check(
      "api_keys_revoked_at_iff_revoked",
      sql`(${table.status} = 'REVOKED') = (${table.revokedAt} is not null)`,
    ),
  ],
);

export type MerchantRow = typeof merchants.$inferSelect;
export type FeeRuleRow = typeof feeRules.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
