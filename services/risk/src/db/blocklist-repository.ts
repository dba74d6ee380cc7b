import type { Secret } from "@kassa/platform";
import { and, desc, eq, gt, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { RiskDatabase } from "./risk-database.js";
import { type BlocklistEntryRow, type BlocklistEntryTypeName, blocklistEntries } from "./schema.js";

/** An entry to add, with the time it happens. */
export interface NewBlocklistEntry {
  id: string;
  type: BlocklistEntryTypeName;
  value: string;
  reason: string;
  expiresAt: Date | null;
  at: Date;
}

/** A value Assess looks up: what it is and its normalised form (personal data, masked). */
export interface BlocklistCandidate {
  type: BlocklistEntryTypeName;
  value: Secret;
}

/** Which entries a page holds. */
export interface BlocklistPageQuery {
  type: BlocklistEntryTypeName | undefined;
  includeInactive: boolean;
  /** Only entries older than this id (the previous page's last). */
  beforeId: string | undefined;
  limit: number;
  at: Date;
}

/** Entries that apply at `at`: not removed, not expired. */
function activeAt(at: Date): SQL {
  return and(
    isNull(blocklistEntries.removedAt),
    or(isNull(blocklistEntries.expiresAt), gt(blocklistEntries.expiresAt, at)),
  ) as SQL;
}

/**
 * Every read and write of the blocklist. Entries are never deleted: removing one sets
 * `removed_at`, so what was blocked, when and why stays on record.
 */
export const blocklistRepository = {
  /** Whether the entry applies at `now`: not removed and not expired. */
  isActive(row: BlocklistEntryRow, now: Date): boolean {
    return row.removedAt === null && (row.expiresAt === null || row.expiresAt > now);
  },

  /**
   * Inserts the entry unless an active one with the same type and value exists; resolves
   * with the entry that blocks the value now and whether it is the new one. Adds of one
   * value are serialised by a transaction-scoped advisory lock on (type, value), so two
   * concurrent adds never make two active entries.
   */
  async addIfNoneActive(
    db: RiskDatabase,
    entry: NewBlocklistEntry,
  ): Promise<{ entry: BlocklistEntryRow; created: boolean }> {
    return db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`risk.blocklist:${entry.type}:${entry.value}`}, 0))`,
      );
      const [existing] = await tx
        .select()
        .from(blocklistEntries)
        .where(
          and(
            eq(blocklistEntries.type, entry.type),
            eq(blocklistEntries.value, entry.value),
            activeAt(entry.at),
          ),
        )
        .limit(1);
      if (existing) return { entry: existing, created: false };
      const [inserted] = await tx
        .insert(blocklistEntries)
        .values({
          id: entry.id,
          type: entry.type,
          value: entry.value,
          reason: entry.reason,
          expiresAt: entry.expiresAt,
          createdAt: entry.at,
        })
        .returning();
      if (!inserted) throw new Error("blocklist insert returned no row");
      return { entry: inserted, created: true };
    });
  },

  /** The active entries matching any of the candidates, in no particular order. */
  async activeMatches(
    db: RiskDatabase,
    candidates: readonly BlocklistCandidate[],
    at: Date,
  ): Promise<BlocklistEntryRow[]> {
    if (candidates.length === 0) return [];
    return db.select().from(blocklistEntries).where(blocklistRepository.matching(candidates, at));
  },

  /** The condition {@link activeMatches} selects by (at least one candidate), for other queries. */
  matching(candidates: readonly BlocklistCandidate[], at: Date): SQL {
    return and(
      activeAt(at),
      or(
        ...candidates.map((candidate) =>
          and(
            eq(blocklistEntries.type, candidate.type),
            eq(blocklistEntries.value, candidate.value.reveal()),
          ),
        ),
      ),
    ) as SQL;
  },

  /** Reads the entry and locks it until the transaction ends, so removals never race. */
  async lock(tx: RiskDatabase, id: string): Promise<BlocklistEntryRow | undefined> {
    const [row] = await tx
      .select()
      .from(blocklistEntries)
      .where(eq(blocklistEntries.id, id))
      .for("update");
    return row;
  },

  /** Sets `removed_at`. The caller holds the lock and has checked it is not removed yet. */
  async remove(tx: RiskDatabase, row: BlocklistEntryRow, at: Date): Promise<BlocklistEntryRow> {
    const [updated] = await tx
      .update(blocklistEntries)
      .set({ removedAt: at })
      .where(eq(blocklistEntries.id, row.id))
      .returning();
    return updated ?? row;
  },

  /** One page of entries, newest first (ids sort by creation time). */
  page(db: RiskDatabase, query: BlocklistPageQuery): Promise<BlocklistEntryRow[]> {
    return db
      .select()
      .from(blocklistEntries)
      .where(
        and(
          query.type ? eq(blocklistEntries.type, query.type) : undefined,
          query.includeInactive ? undefined : activeAt(query.at),
          query.beforeId ? lt(blocklistEntries.id, query.beforeId) : undefined,
        ),
      )
      .orderBy(desc(blocklistEntries.id))
      .limit(query.limit);
  },
};
