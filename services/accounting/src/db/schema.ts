import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  foreignKey,
  index,
  integer,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** The Postgres schema the accounting service owns; no other service reads or writes it. */
export const accountingSchema = pgSchema("accounting");

/** The business event a journal entry records. */
export const entryKind = accountingSchema.enum("entry_kind", [
  "PAYMENT",
  "REFUND",
  "FEE",
  "PAYOUT",
  "CORRECTION",
]);

/** Where a settlement is in its life: PENDING → PROCESSING → COMPLETED | FAILED. */
export const settlementStatus = accountingSchema.enum("settlement_status", [
  "PENDING",
  "PROCESSING",
  "COMPLETED",
  "FAILED",
]);

const currencyCode = (column: unknown) => sql`${column} ~ '^[A-Z]{3}$'`;

/**
 * Journal entries: one business event each, balanced by its postings. Append-only: triggers
 * (migration 0002) refuse UPDATE and DELETE, and a deferred constraint trigger refuses to
 * commit an entry whose postings are fewer than two or do not sum to zero per currency.
 */
export const entries = accountingSchema.table(
  "entries",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    kind: entryKind("kind").notNull(),
    /** `pay_…` (PAYMENT), `ref_…` (REFUND), `stl_…` (FEE, PAYOUT), the corrected one's (CORRECTION). */
    referenceId: text("reference_id").notNull(),
    /** The payment concerned: PAYMENT and REFUND only. */
    paymentId: text("payment_id"),
    /** The business event's amount, > 0; the postings carry the signs. */
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    correctsEntryId: text("corrects_entry_id"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    // The idempotency of RecordPayment/RecordRefund, and one FEE and one PAYOUT per settlement.
    // Corrections are left out: an entry may be corrected more than once.
    uniqueIndex("entries_kind_reference_key")
      .on(table.kind, table.referenceId)
      .where(sql`${table.kind} <> 'CORRECTION'`),
    index("entries_merchant_id_idx").on(table.merchantId, table.id),
    index("entries_merchant_currency_idx").on(
      table.merchantId,
      table.currency,
      table.kind,
      table.occurredAt,
    ),
    foreignKey({ columns: [table.correctsEntryId], foreignColumns: [table.id] }).onDelete(
      "restrict",
    ),
    check("entries_amount_positive", sql`${table.amount} > 0`),
    check("entries_currency_code", currencyCode(table.currency)),
    check(
      "entries_correction_references_entry",
      sql`(${table.kind} = 'CORRECTION') = (${table.correctsEntryId} is not null)`,
    ),
    check(
      "entries_payment_id_by_kind",
      sql`case ${table.kind}
        when 'PAYMENT' then ${table.paymentId} is not null and ${table.paymentId} = ${table.referenceId}
        when 'REFUND' then ${table.paymentId} is not null
        else ${table.paymentId} is null end`,
    ),
  ],
);

/**
 * The legs of the journal entries: a signed amount into (> 0) or out of (< 0) one account.
 * Append-only, like the entries. There is no accounts table on purpose: a foreign key to an
 * account row would take a share lock on it for every posting, making `platform:clearing` (in
 * every payment) a hot row; the account's name is checked here instead.
 */
export const postings = accountingSchema.table(
  "postings",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    entryId: text("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "restrict" }),
    /** `merchant:<mer_…>`, `platform:clearing`, `platform:fee_revenue` or `platform:payouts`. */
    account: text("account").notNull(),
    currency: text("currency").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
  },
  (table) => [
    index("postings_entry_id_idx").on(table.entryId),
    // Balances are sums over one account and currency; `amount` in the key lets them be read
    // from the index alone.
    index("postings_account_idx").on(table.account, table.currency, table.amount),
    check("postings_amount_nonzero", sql`${table.amount} <> 0`),
    check("postings_currency_code", currencyCode(table.currency)),
    check(
      "postings_account_name",
      sql`${table.account} ~ '^(merchant:mer_[0-9A-HJKMNP-TV-Z]{26}|platform:(clearing|fee_revenue|payouts))$'`,
    ),
  ],
);

/**
 * Settlements of one merchant's balance in one currency. The only rows of the ledger that
 * change (their status); never deleted. At most one is open (PENDING or PROCESSING) per
 * merchant and currency.
 */
export const settlements = accountingSchema.table(
  "settlements",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    currency: text("currency").notNull(),
    status: settlementStatus("status").notNull(),
    upTo: timestamp("up_to", { withTimezone: true }).notNull(),
    paymentAmount: bigint("payment_amount", { mode: "bigint" }).notNull().default(sql`0`),
    refundAmount: bigint("refund_amount", { mode: "bigint" }).notNull().default(sql`0`),
    grossAmount: bigint("gross_amount", { mode: "bigint" }).notNull().default(sql`0`),
    feeAmount: bigint("fee_amount", { mode: "bigint" }).notNull().default(sql`0`),
    netAmount: bigint("net_amount", { mode: "bigint" }).notNull().default(sql`0`),
    payoutAmount: bigint("payout_amount", { mode: "bigint" }).notNull().default(sql`0`),
    paymentCount: integer("payment_count").notNull().default(0),
    refundCount: integer("refund_count").notNull().default(0),
    feeBasisPoints: integer("fee_basis_points").notNull(),
    feeFixedAmount: bigint("fee_fixed_amount", { mode: "bigint" }).notNull(),
    feeEntryId: text("fee_entry_id").references(() => entries.id),
    payoutEntryId: text("payout_entry_id").references(() => entries.id),
    failureReason: text("failure_reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
  },
  (table) => [
    uniqueIndex("settlements_one_open_key")
      .on(table.merchantId, table.currency)
      .where(sql`${table.status} in ('PENDING', 'PROCESSING')`),
    index("settlements_merchant_id_idx").on(table.merchantId, table.id),
    check("settlements_currency_code", currencyCode(table.currency)),
    check(
      "settlements_amounts_not_negative",
      sql`${table.paymentAmount} >= 0 and ${table.refundAmount} >= 0 and ${table.feeAmount} >= 0 and ${table.payoutAmount} >= 0 and ${table.paymentCount} >= 0 and ${table.refundCount} >= 0 and ${table.feeFixedAmount} >= 0`,
    ),
    check(
      "settlements_gross_is_payments_less_refunds",
      sql`${table.grossAmount} = ${table.paymentAmount} - ${table.refundAmount}`,
    ),
    check(
      "settlements_net_is_gross_less_fee",
      sql`${table.netAmount} = ${table.grossAmount} - ${table.feeAmount}`,
    ),
    check("settlements_fee_basis_points_range", sql`${table.feeBasisPoints} between 0 and 10000`),
    check(
      "settlements_settled_at_iff_completed",
      sql`(${table.status} = 'COMPLETED') = (${table.settledAt} is not null)`,
    ),
    check(
      "settlements_failure_reason_iff_failed",
      sql`(${table.status} = 'FAILED') = (${table.failureReason} is not null)`,
    ),
    check(
      "settlements_payout_only_when_completed",
      sql`${table.status} = 'COMPLETED' or (${table.payoutAmount} = 0 and ${table.feeEntryId} is null and ${table.payoutEntryId} is null)`,
    ),
  ],
);

/**
 * Exactly which entries a settlement gathered when it was created, so processing settles
 * those and no others. Append-only. An entry may be a candidate of several settlements (a
 * FAILED one frees its entries) but settled by one only (`settlement_entries`).
 */
export const settlementCandidates = accountingSchema.table(
  "settlement_candidates",
  {
    settlementId: text("settlement_id")
      .notNull()
      .references(() => settlements.id, { onDelete: "restrict" }),
    entryId: text("entry_id")
      .notNull()
      .references(() => entries.id, { onDelete: "restrict" }),
  },
  (table) => [
    primaryKey({ columns: [table.settlementId, table.entryId] }),
    index("settlement_candidates_entry_id_idx").on(table.entryId),
  ],
);

/**
 * The entries each COMPLETED settlement settled. Append-only; `entry_id` is the primary key,
 * so the database itself refuses to settle an entry twice. Each row must be a candidate of
 * its settlement.
 */
export const settlementEntries = accountingSchema.table(
  "settlement_entries",
  {
    entryId: text("entry_id")
      .primaryKey()
      .references(() => entries.id, { onDelete: "restrict" }),
    settlementId: text("settlement_id")
      .notNull()
      .references(() => settlements.id, { onDelete: "restrict" }),
  },
  (table) => [
    index("settlement_entries_settlement_id_idx").on(table.settlementId),
    foreignKey({
      name: "settlement_entries_candidate_fk",
      columns: [table.settlementId, table.entryId],
      foreignColumns: [settlementCandidates.settlementId, settlementCandidates.entryId],
    }).onDelete("restrict"),
  ],
);

export type EntryRow = typeof entries.$inferSelect;
export type PostingRow = typeof postings.$inferSelect;
export type SettlementRow = typeof settlements.$inferSelect;
export type EntryKindValue = EntryRow["kind"];
export type SettlementStatusValue = SettlementRow["status"];
