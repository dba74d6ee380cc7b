import { and, desc, eq, inArray, lt, lte, sql } from "drizzle-orm";
import { ledgerAccounts } from "../ledger-accounts.js";
import type { AccountingDatabase } from "./accounting-database.js";
import {
  entries,
  postings,
  type SettlementRow,
  type SettlementStatusValue,
  settlementCandidates,
  settlementEntries,
  settlements,
} from "./schema.js";

/** A settlement to open: who, what currency, up to when, and the fee rule it will apply. */
export interface NewSettlement {
  id: string;
  merchantId: string;
  currency: string;
  upTo: Date;
  feeBasisPoints: number;
  feeFixedAmount: bigint;
  at: Date;
}

/** What a settlement gathered: its PAYMENT and REFUND entries, summed and counted. */
export interface GatheredEntries {
  paymentAmount: bigint;
  paymentCount: number;
  refundAmount: bigint;
  refundCount: number;
}

/** A settlement's totals, as CreateSettlement computed them. */
export interface SettlementTotals extends GatheredEntries {
  feeAmount: bigint;
}

/** How a COMPLETED settlement ended: the entries it posted and what it paid. */
export interface SettlementCompletion {
  feeEntryId: string | null;
  payoutEntryId: string | null;
  payoutAmount: bigint;
  at: Date;
}

/** What the merchant account holds, read inside the processing transaction. */
export interface PayableAmounts {
  /**
   * The merchant account's postings from every settled entry plus every FEE and PAYOUT entry:
   * what settlements have made payable and not yet paid.
   */
  settled: bigint;
  /** The whole merchant account balance. */
  balance: bigint;
}

/** Filters of a page of settlements; `before` is the id to continue after. */
export interface SettlementPageQuery {
  merchantId: string | undefined;
  status: SettlementStatusValue | undefined;
  currency: string | undefined;
  before: string | undefined;
  limit: number;
}

const toBigint = (value: unknown) => BigInt(String(value));

/**
 * Every read and write of settlements. Status changes are named writes; what a settlement
 * gathered and settled is only ever inserted (`settlement_candidates`, `settlement_entries`).
 */
export const settlementRepository = {
  /**
   * Inserts the settlement PENDING with zero totals, unless the merchant already has an open
   * (PENDING or PROCESSING) one in this currency; resolves with undefined then. Opening first
   * matters: once this row holds the open slot no other settlement of this merchant and
   * currency can settle entries, so what is gathered next stays unsettled until it is
   * processed. A concurrent opener waits here for this transaction to end.
   */
  async open(tx: AccountingDatabase, draft: NewSettlement): Promise<SettlementRow | undefined> {
    const [row] = await tx
      .insert(settlements)
      .values({
        id: draft.id,
        merchantId: draft.merchantId,
        currency: draft.currency,
        status: "PENDING",
        upTo: draft.upTo,
        feeBasisPoints: draft.feeBasisPoints,
        feeFixedAmount: draft.feeFixedAmount,
        createdAt: draft.at,
        updatedAt: draft.at,
      })
      .onConflictDoNothing({
        target: [settlements.merchantId, settlements.currency],
        where: sql`status in ('PENDING', 'PROCESSING')`,
      })
      .returning();
    return row;
  },

  /** The merchant's open settlement in this currency, if any. */
  async findOpen(
    db: AccountingDatabase,
    merchantId: string,
    currency: string,
  ): Promise<SettlementRow | undefined> {
    const [row] = await db
      .select()
      .from(settlements)
      .where(
        and(
          eq(settlements.merchantId, merchantId),
          eq(settlements.currency, currency),
          inArray(settlements.status, ["PENDING", "PROCESSING"]),
        ),
      );
    return row;
  },

  /**
   * Records as the settlement's candidates the merchant's unsettled PAYMENT and REFUND
   * entries in its currency that occurred up to its cut-off, in one INSERT … SELECT (however
   * many there are), and sums them.
   */
  async gather(tx: AccountingDatabase, settlement: SettlementRow): Promise<GatheredEntries> {
    await tx.insert(settlementCandidates).select(
      tx
        .select({
          settlementId: sql<string>`${settlement.id}::text`.as("settlement_id"),
          entryId: entries.id,
        })
        .from(entries)
        .where(
          and(
            eq(entries.merchantId, settlement.merchantId),
            eq(entries.currency, settlement.currency),
            inArray(entries.kind, ["PAYMENT", "REFUND"]),
            lte(entries.occurredAt, settlement.upTo),
            sql`not exists (select 1 from ${settlementEntries} where ${settlementEntries.entryId} = ${entries.id})`,
          ),
        ),
    );
    const [gathered] = await tx
      .select({
        paymentAmount:
          sql`coalesce(sum(${entries.amount}) filter (where ${entries.kind} = 'PAYMENT'), 0)`.mapWith(
            toBigint,
          ),
        paymentCount: sql`count(*) filter (where ${entries.kind} = 'PAYMENT')`.mapWith(Number),
        refundAmount:
          sql`coalesce(sum(${entries.amount}) filter (where ${entries.kind} = 'REFUND'), 0)`.mapWith(
            toBigint,
          ),
        refundCount: sql`count(*) filter (where ${entries.kind} = 'REFUND')`.mapWith(Number),
      })
      .from(settlementCandidates)
      .innerJoin(entries, eq(entries.id, settlementCandidates.entryId))
      .where(eq(settlementCandidates.settlementId, settlement.id));
    if (!gathered) throw new Error("an aggregate returned no row");
    return gathered;
  },

  /** Sets the totals of a settlement this transaction just opened. */
  async recordTotals(
    tx: AccountingDatabase,
    id: string,
    totals: SettlementTotals,
  ): Promise<SettlementRow> {
    const gross = totals.paymentAmount - totals.refundAmount;
    const [row] = await tx
      .update(settlements)
      .set({
        paymentAmount: totals.paymentAmount,
        paymentCount: totals.paymentCount,
        refundAmount: totals.refundAmount,
        refundCount: totals.refundCount,
        grossAmount: gross,
        feeAmount: totals.feeAmount,
        netAmount: gross - totals.feeAmount,
      })
      .where(eq(settlements.id, id))
      .returning();
    if (!row) throw new Error(`settlement ${id} vanished while being opened`);
    return row;
  },

  async find(db: AccountingDatabase, id: string): Promise<SettlementRow | undefined> {
    const [row] = await db.select().from(settlements).where(eq(settlements.id, id));
    return row;
  },

  /** Reads the settlement and locks it until the transaction ends, so one caller processes it. */
  async lock(tx: AccountingDatabase, id: string): Promise<SettlementRow | undefined> {
    const [row] = await tx.select().from(settlements).where(eq(settlements.id, id)).for("update");
    return row;
  },

  /** PENDING → PROCESSING. The caller holds the lock and has checked the state. */
  async markProcessing(tx: AccountingDatabase, id: string, at: Date): Promise<void> {
    await tx
      .update(settlements)
      .set({ status: "PROCESSING", updatedAt: at })
      .where(eq(settlements.id, id));
  },

  /**
   * Settles the settlement's candidates: one `settlement_entries` row each. The primary key on
   * `entry_id` makes this fail, rather than settle an entry twice.
   */
  async settleCandidates(tx: AccountingDatabase, id: string): Promise<void> {
    await tx.insert(settlementEntries).select(
      tx
        .select({
          entryId: settlementCandidates.entryId,
          settlementId: settlementCandidates.settlementId,
        })
        .from(settlementCandidates)
        .where(eq(settlementCandidates.settlementId, id)),
    );
  },

  /** What the merchant account can pay out now; see {@link PayableAmounts}. */
  async payableAmounts(
    tx: AccountingDatabase,
    merchantId: string,
    currency: string,
  ): Promise<PayableAmounts> {
    const [amounts] = await tx
      .select({
        settled:
          sql`coalesce(sum(${postings.amount}) filter (where ${entries.kind} in ('FEE', 'PAYOUT')
          or exists (select 1 from ${settlementEntries} where ${settlementEntries.entryId} = ${entries.id})), 0)`.mapWith(
            toBigint,
          ),
        balance: sql`coalesce(sum(${postings.amount}), 0)`.mapWith(toBigint),
      })
      .from(postings)
      .innerJoin(entries, eq(entries.id, postings.entryId))
      .where(
        and(
          eq(postings.account, ledgerAccounts.merchant(merchantId)),
          eq(postings.currency, currency),
        ),
      );
    if (!amounts) throw new Error("an aggregate returned no row");
    return amounts;
  },

  /** PROCESSING → COMPLETED, with what was posted. */
  async markCompleted(
    tx: AccountingDatabase,
    id: string,
    completion: SettlementCompletion,
  ): Promise<SettlementRow> {
    const [row] = await tx
      .update(settlements)
      .set({
        status: "COMPLETED",
        feeEntryId: completion.feeEntryId,
        payoutEntryId: completion.payoutEntryId,
        payoutAmount: completion.payoutAmount,
        settledAt: completion.at,
        updatedAt: completion.at,
      })
      .where(eq(settlements.id, id))
      .returning();
    if (!row) throw new Error(`settlement ${id} vanished while being processed`);
    return row;
  },

  /**
   * PENDING → FAILED with the reason, after its processing was rolled back. Resolves with
   * undefined when the settlement is no longer PENDING.
   */
  async markFailed(
    db: AccountingDatabase,
    id: string,
    reason: string,
    at: Date,
  ): Promise<SettlementRow | undefined> {
    const [row] = await db
      .update(settlements)
      .set({ status: "FAILED", failureReason: reason, updatedAt: at })
      .where(and(eq(settlements.id, id), eq(settlements.status, "PENDING")))
      .returning();
    return row;
  },

  /** A page of settlements, newest first (ids sort by creation time). */
  page(db: AccountingDatabase, query: SettlementPageQuery): Promise<SettlementRow[]> {
    return db
      .select()
      .from(settlements)
      .where(
        and(
          query.merchantId ? eq(settlements.merchantId, query.merchantId) : undefined,
          query.status ? eq(settlements.status, query.status) : undefined,
          query.currency ? eq(settlements.currency, query.currency) : undefined,
          query.before ? lt(settlements.id, query.before) : undefined,
        ),
      )
      .orderBy(desc(settlements.id))
      .limit(query.limit);
  },
};
