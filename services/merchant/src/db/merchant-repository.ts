import { and, desc, eq, inArray, isNull, lt, type SQL } from "drizzle-orm";
import type { FeeScheduleTerms } from "../fee-schedule-terms.js";
import type { MerchantDatabase } from "./merchant-database.js";
import { type FeeRuleRow, feeRules, type MerchantRow, merchants } from "./schema.js";

/** A merchant to create, with the time it happens. */
export interface NewMerchant {
  id: string;
  name: string;
  fees: FeeScheduleTerms;
  at: Date;
}

/** A merchant with its current fee rules: everything a Merchant message shows. */
export interface MerchantRecord {
  merchant: MerchantRow;
  feeRules: FeeRuleRow[];
}

/**
 * The changes UpdateMerchant may make, each only when present: a new name, a new status, or a
 * whole new fee schedule. Nothing else about a merchant ever changes.
 */
export interface MerchantUpdate {
  name?: string;
  status?: MerchantRow["status"];
  fees?: FeeScheduleTerms;
}

/** Which merchants a page holds: an optional status, after a page token's id. */
export interface MerchantPageQuery {
  status: MerchantRow["status"] | undefined;
  /** Only merchants with ids below this one (older). */
  before: string | undefined;
  limit: number;
}

/**
 * Every read and write of merchants and their fee rules. A fee schedule is never edited in
 * place: replacing it stamps `replaced_at` on the current rules and inserts the new ones in the
 * same transaction, so the fees that applied at any time stay on record.
 */
export const merchantRepository = {
  /** Inserts an ACTIVE merchant and its fee rules in one transaction. */
  async create(db: MerchantDatabase, merchant: NewMerchant): Promise<MerchantRecord> {
    return db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(merchants)
        .values({
          id: merchant.id,
          name: merchant.name,
          status: "ACTIVE",
          createdAt: merchant.at,
          updatedAt: merchant.at,
        })
        .returning();
      if (!inserted) throw new Error("insert returned no merchant");
      const rules = await insertFeeRules(tx, merchant.id, merchant.fees, merchant.at);
      return { merchant: inserted, feeRules: rules };
    });
  },

  async find(db: MerchantDatabase, id: string): Promise<MerchantRow | undefined> {
    const [row] = await db.select().from(merchants).where(eq(merchants.id, id));
    return row;
  },

  /** Reads the merchant and locks it until the transaction ends, so updates never interleave. */
  async lock(tx: MerchantDatabase, id: string): Promise<MerchantRow | undefined> {
    const [row] = await tx.select().from(merchants).where(eq(merchants.id, id)).for("update");
    return row;
  },

  /** The current fee rules of each of `merchantIds`. */
  currentFeeRules(db: MerchantDatabase, merchantIds: readonly string[]): Promise<FeeRuleRow[]> {
    if (merchantIds.length === 0) return Promise.resolve([]);
    return db
      .select()
      .from(feeRules)
      .where(and(inArray(feeRules.merchantId, [...merchantIds]), isNull(feeRules.replacedAt)));
  },

  /** The merchant with its current fee rules. */
  async findRecord(db: MerchantDatabase, id: string): Promise<MerchantRecord | undefined> {
    const merchant = await merchantRepository.find(db, id);
    if (!merchant) return undefined;
    return { merchant, feeRules: await merchantRepository.currentFeeRules(db, [id]) };
  },

  /** Each merchant with its current fee rules, read in one query. */
  async withFeeRules(
    db: MerchantDatabase,
    rows: readonly MerchantRow[],
  ): Promise<MerchantRecord[]> {
    const byMerchant = new Map<string, FeeRuleRow[]>(rows.map((row) => [row.id, []]));
    const rules = await merchantRepository.currentFeeRules(db, [...byMerchant.keys()]);
    for (const rule of rules) byMerchant.get(rule.merchantId)?.push(rule);
    return rows.map((merchant) => ({ merchant, feeRules: byMerchant.get(merchant.id) ?? [] }));
  },

  /**
   * Applies an update to a merchant the caller has locked and checked; `updated_at` moves to
   * `at`. A new fee schedule retires the current rules and inserts its own.
   */
  async update(
    tx: MerchantDatabase,
    merchant: MerchantRow,
    update: MerchantUpdate,
    at: Date,
  ): Promise<MerchantRow> {
    const [updated] = await tx
      .update(merchants)
      .set({
        ...(update.name !== undefined && { name: update.name }),
        ...(update.status !== undefined && { status: update.status }),
        updatedAt: at,
      })
      .where(eq(merchants.id, merchant.id))
      .returning();
    if (update.fees) {
      await tx
        .update(feeRules)
        .set({ replacedAt: at })
        .where(and(eq(feeRules.merchantId, merchant.id), isNull(feeRules.replacedAt)));
      await insertFeeRules(tx, merchant.id, update.fees, at);
    }
    return updated ?? merchant;
  },

  /** One page of merchants, newest first. */
  page(db: MerchantDatabase, query: MerchantPageQuery): Promise<MerchantRow[]> {
    const conditions: SQL[] = [];
    if (query.status) conditions.push(eq(merchants.status, query.status));
    if (query.before) conditions.push(lt(merchants.id, query.before));
    return db
      .select()
      .from(merchants)
      .where(and(...conditions))
      .orderBy(desc(merchants.id))
      .limit(query.limit);
  },
};

async function insertFeeRules(
  tx: MerchantDatabase,
  merchantId: string,
  fees: FeeScheduleTerms,
  at: Date,
): Promise<FeeRuleRow[]> {
  const rows = [
    { currency: null, ...fees.defaultFee },
    ...[...fees.currencyFees].map(([currency, terms]) => ({ currency, ...terms })),
  ];
  return tx
    .insert(feeRules)
    .values(
      rows.map((rule) => ({
        merchantId,
        currency: rule.currency,
        basisPoints: rule.basisPoints,
        fixedAmount: rule.fixedAmount,
        createdAt: at,
      })),
    )
    .returning();
}
