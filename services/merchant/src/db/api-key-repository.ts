import { and, desc, eq, isNull, lt, type SQL } from "drizzle-orm";
import type { MerchantDatabase } from "./merchant-database.js";
import type { MerchantRecord } from "./merchant-repository.js";
import { type ApiKeyRow, apiKeys, feeRules, merchants } from "./schema.js";

/** A key to create: its digest and visible prefix, never the secret. */
export interface NewApiKey {
  id: string;
  merchantId: string;
  name: string;
  prefix: string;
  digest: string;
  at: Date;
}

/** Which of a merchant's keys a page holds. */
export interface ApiKeyPageQuery {
  merchantId: string;
  includeRevoked: boolean;
  /** Only keys with ids below this one (older). */
  before: string | undefined;
  limit: number;
}

/**
 * Every read and write of API keys. Keys are found by the digest of their secret, never by
 * the secret; revoking is the only change a key ever sees, and nothing is deleted.
 */
export const apiKeyRepository = {
  /** Inserts an ACTIVE key. */
  async create(db: MerchantDatabase, key: NewApiKey): Promise<ApiKeyRow> {
    const [inserted] = await db
      .insert(apiKeys)
      .values({
        id: key.id,
        merchantId: key.merchantId,
        name: key.name,
        prefix: key.prefix,
        digest: key.digest,
        status: "ACTIVE",
        createdAt: key.at,
      })
      .returning();
    if (!inserted) throw new Error("insert returned no API key");
    return inserted;
  },

  /** Reads the key and locks it until the transaction ends, so revocations never race. */
  async lock(tx: MerchantDatabase, id: string): Promise<ApiKeyRow | undefined> {
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for("update");
    return row;
  },

  /** ACTIVE → REVOKED at `at`. The caller holds the lock and has checked the state. */
  async revoke(tx: MerchantDatabase, key: ApiKeyRow, at: Date): Promise<ApiKeyRow> {
    const [updated] = await tx
      .update(apiKeys)
      .set({ status: "REVOKED", revokedAt: at })
      .where(eq(apiKeys.id, key.id))
      .returning();
    return updated ?? key;
  },

  /**
   * The key with this digest, its merchant and the merchant's current fee rules, in one round
   * trip: AuthenticateApiKey runs on every gateway cache miss.
   */
  async findForAuthentication(
    db: MerchantDatabase,
    digest: string,
  ): Promise<{ key: ApiKeyRow; record: MerchantRecord } | undefined> {
    const rows = await db
      .select({ key: apiKeys, merchant: merchants, feeRule: feeRules })
      .from(apiKeys)
      .innerJoin(merchants, eq(merchants.id, apiKeys.merchantId))
      .leftJoin(feeRules, and(eq(feeRules.merchantId, merchants.id), isNull(feeRules.replacedAt)))
      .where(eq(apiKeys.digest, digest));
    const [first] = rows;
    if (!first) return undefined;
    const rules = rows.flatMap((row) => (row.feeRule ? [row.feeRule] : []));
    return { key: first.key, record: { merchant: first.merchant, feeRules: rules } };
  },

  /** The digests of all of a merchant's keys, revoked ones too. */
  async digestsOfMerchant(db: MerchantDatabase, merchantId: string): Promise<string[]> {
    const rows = await db
      .select({ digest: apiKeys.digest })
      .from(apiKeys)
      .where(eq(apiKeys.merchantId, merchantId));
    return rows.map((row) => row.digest);
  },

  /** One page of a merchant's keys, newest first. */
  page(db: MerchantDatabase, query: ApiKeyPageQuery): Promise<ApiKeyRow[]> {
    const conditions: SQL[] = [eq(apiKeys.merchantId, query.merchantId)];
    if (!query.includeRevoked) conditions.push(eq(apiKeys.status, "ACTIVE"));
    if (query.before) conditions.push(lt(apiKeys.id, query.before));
    return db
      .select()
      .from(apiKeys)
      .where(and(...conditions))
      .orderBy(desc(apiKeys.id))
      .limit(query.limit);
  },
};
