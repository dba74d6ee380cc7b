import { columnList } from "@kassa/platform";
import { and, asc, desc, eq, getTableColumns, inArray, lt, sql } from "drizzle-orm";
import { ledgerAccounts } from "../ledger-accounts.js";
import type { AccountingDatabase } from "./accounting-database.js";
import {
  type EntryKindValue,
  type EntryRow,
  entries,
  type PostingRow,
  postings,
  settlementEntries,
} from "./schema.js";

/** One leg of a new entry, in the entry's currency. */
export interface NewPosting {
  account: string;
  /** Signed minor units: > 0 into the account, < 0 out of it. */
  amount: bigint;
}

/** A journal entry to write, with its postings (which must sum to zero). */
export interface NewEntry {
  id: string;
  merchantId: string;
  kind: Exclude<EntryKindValue, "CORRECTION">;
  referenceId: string;
  paymentId: string | null;
  amount: bigint;
  currency: string;
  occurredAt: Date;
  createdAt: Date;
  postings: readonly NewPosting[];
}

/** An entry with its postings and the settlement that settled (or produced) it, if any. */
export interface EntryRecord {
  entry: EntryRow;
  postings: PostingRow[];
  settlementId: string | null;
}

/** A merchant's figures in one currency, all read in one statement (one snapshot). */
export interface BalanceFigures {
  balance: bigint;
  unsettledAmount: bigint;
  totalPayments: bigint;
  totalRefunds: bigint;
  totalFees: bigint;
  totalPayouts: bigint;
}

/** Filters of a page of a merchant's entries; `before` is the id to continue after. */
export interface EntryPageQuery {
  merchantId: string;
  currency: string | undefined;
  kind: EntryKindValue | undefined;
  before: string | undefined;
  limit: number;
}

/** Sums come back as numeric (a string on both drivers); they are whole minor units. */
const toBigint = (value: unknown) => BigInt(String(value));

const notSettled = (entryId: unknown) =>
  sql`not exists (select 1 from ${settlementEntries} where ${settlementEntries.entryId} = ${entryId})`;

/**
 * Every read and write of journal entries and postings. Writes only ever INSERT: no row of
 * the ledger is shared by two payments, so a busy merchant's payments never wait on each
 * other (see the README), and the database refuses any UPDATE or DELETE anyway.
 */
export const ledgerRepository = {
  /**
   * Writes the entry and its postings in one statement (a data-modifying CTE: both commit
   * together, and the deferred balance check runs at its commit), unless an entry of this
   * kind for this reference exists; resolves with the entry that exists now and whether it
   * was written. A conflict writes neither, and the entry there is read after it. Concurrent
   * calls for one reference write one entry: the unique index makes the later ones wait for
   * the first and then find it.
   */
  async recordIfAbsent(
    db: AccountingDatabase,
    entry: NewEntry,
  ): Promise<{ record: EntryRecord; created: boolean }> {
    const written = db.$with("written").as(
      db
        .insert(entries)
        .values(entryValues(entry))
        .onConflictDoNothing({
          target: [entries.kind, entries.referenceId],
          where: sql`kind <> 'CORRECTION'`,
        })
        .returning(),
    );
    const legs = db.$with("legs", getTableColumns(postings)).as(
      sql`insert into ${postings} (${columnList(postings.entryId, postings.account, postings.currency, postings.amount)})
        select ${written.id}, leg.account, ${written.currency}, leg.amount
        from ${written} cross join (values ${sql.join(
          entry.postings.map(
            (leg) =>
              sql`(${sql.param(leg.account, postings.account)}, cast(${sql.param(leg.amount, postings.amount)} as bigint))`,
          ),
          sql`, `,
        )}) as leg (account, amount)
        returning *`,
    );
    const rows = await db
      .with(written, legs)
      .select()
      .from(written)
      .innerJoin(legs, eq(legs.entryId, written.id))
      .orderBy(asc(legs.id));
    const [first] = rows;
    if (first) {
      const record = {
        entry: first.written,
        postings: rows.map((row) => row.legs),
        settlementId: null,
      };
      return { record, created: true };
    }
    const existing = await ledgerRepository.findByReference(db, entry.kind, entry.referenceId);
    if (!existing) throw new Error("entry vanished between conflict and read");
    return { record: existing, created: false };
  },

  /** Writes a settlement's entry (FEE or PAYOUT) inside the caller's transaction. */
  async post(tx: AccountingDatabase, entry: NewEntry): Promise<EntryRecord> {
    const [inserted] = await tx.insert(entries).values(entryValues(entry)).returning();
    if (!inserted) throw new Error("insert returned no entry");
    const legs = await insertPostings(tx, entry);
    return { entry: inserted, postings: legs, settlementId: entry.referenceId };
  },

  async findByReference(
    db: AccountingDatabase,
    kind: EntryKindValue,
    referenceId: string,
  ): Promise<EntryRecord | undefined> {
    const [row] = await db
      .select()
      .from(entries)
      .where(and(eq(entries.kind, kind), eq(entries.referenceId, referenceId)));
    if (!row) return undefined;
    const [record] = await ledgerRepository.records(db, [row]);
    return record;
  },

  /**
   * Runs the balance checks deferred to COMMIT now, so that an unbalanced entry fails inside
   * the caller's savepoint (and is rolled back with it) rather than at COMMIT.
   */
  async checkBalanced(tx: AccountingDatabase): Promise<void> {
    await tx.execute(sql`set constraints all immediate`);
  },

  /** A page of a merchant's entries, newest first (ids sort by creation time). */
  page(db: AccountingDatabase, query: EntryPageQuery): Promise<EntryRow[]> {
    return db
      .select()
      .from(entries)
      .where(
        and(
          eq(entries.merchantId, query.merchantId),
          query.currency ? eq(entries.currency, query.currency) : undefined,
          query.kind ? eq(entries.kind, query.kind) : undefined,
          query.before ? lt(entries.id, query.before) : undefined,
        ),
      )
      .orderBy(desc(entries.id))
      .limit(query.limit);
  },

  /** The entries with their postings and settlement, in the given order. */
  async records(db: AccountingDatabase, rows: readonly EntryRow[]): Promise<EntryRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const [legs, settled] = await Promise.all([
      db.select().from(postings).where(inArray(postings.entryId, ids)).orderBy(asc(postings.id)),
      db.select().from(settlementEntries).where(inArray(settlementEntries.entryId, ids)),
    ]);
    const settledBy = new Map(settled.map((row) => [row.entryId, row.settlementId]));
    return rows.map((entry) => ({
      entry,
      postings: legs.filter((leg) => leg.entryId === entry.id),
      // FEE and PAYOUT entries are produced by the settlement they reference.
      settlementId:
        entry.kind === "FEE" || entry.kind === "PAYOUT"
          ? entry.referenceId
          : (settledBy.get(entry.id) ?? null),
    }));
  },

  /**
   * A merchant's balance (the sum of its account's postings) and totals in one currency.
   * Read, never stored: no balance row for concurrent payments to fight over.
   */
  async balance(
    db: AccountingDatabase,
    merchantId: string,
    currency: string,
  ): Promise<BalanceFigures> {
    const sumOfKind = (kind: EntryKindValue) =>
      sql`coalesce(sum(${entries.amount}) filter (where ${entries.kind} = ${kind}), 0)`.mapWith(
        toBigint,
      );
    const [figures] = await db
      .select({
        balance: sql`(select coalesce(sum(${postings.amount}), 0) from ${postings}
          where ${postings.account} = ${ledgerAccounts.merchant(merchantId)}
            and ${postings.currency} = ${currency})`.mapWith(toBigint),
        unsettledAmount:
          sql`coalesce(sum(case ${entries.kind} when 'PAYMENT' then ${entries.amount} else -${entries.amount} end)
          filter (where ${entries.kind} in ('PAYMENT', 'REFUND') and ${notSettled(entries.id)}), 0)`.mapWith(
            toBigint,
          ),
        totalPayments: sumOfKind("PAYMENT"),
        totalRefunds: sumOfKind("REFUND"),
        totalFees: sumOfKind("FEE"),
        totalPayouts: sumOfKind("PAYOUT"),
      })
      .from(entries)
      .where(and(eq(entries.merchantId, merchantId), eq(entries.currency, currency)));
    if (!figures) throw new Error("an aggregate returned no row");
    return figures;
  },
};

function entryValues(entry: NewEntry) {
  return {
    id: entry.id,
    merchantId: entry.merchantId,
    kind: entry.kind,
    referenceId: entry.referenceId,
    paymentId: entry.paymentId,
    amount: entry.amount,
    currency: entry.currency,
    occurredAt: entry.occurredAt,
    createdAt: entry.createdAt,
  };
}

function insertPostings(tx: AccountingDatabase, entry: NewEntry): Promise<PostingRow[]> {
  return tx
    .insert(postings)
    .values(
      entry.postings.map((leg) => ({
        entryId: entry.id,
        account: leg.account,
        currency: entry.currency,
        amount: leg.amount,
      })),
    )
    .returning();
}
