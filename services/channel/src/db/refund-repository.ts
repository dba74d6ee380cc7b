import { and, eq } from "drizzle-orm";
import type { ProviderDecision } from "../providers/provider.js";
import type { ChannelDatabase } from "./channel-database.js";
import { chargeRepository } from "./charge-repository.js";
import { releasedClaimCode } from "./released-claim.js";
import { type RefundRow, refunds } from "./schema.js";

/** A refund to claim, with the time it happens. */
export interface NewRefund {
  id: string;
  channel: string;
  idempotencyKey: string;
  chargeId: string;
  merchantId: string;
  amount: bigint;
  currency: string;
  reason: string;
  at: Date;
}

const pending = (id: string) => and(eq(refunds.id, id), eq(refunds.status, "PENDING"));

/**
 * Every read and write of refunds. Like charges, a refund is claimed PENDING (counted against
 * its charge under the charge's lock) before its provider is asked, then settled or released;
 * each ending updates the charge's amounts in the same transaction.
 */
export const refundRepository = {
  /**
   * Claims the caller's key with a PENDING refund unless the key is taken on this channel;
   * resolves with the refund that holds the key now and whether this call claimed it. The
   * caller holds the charge's lock, has checked the limit, and reserves the amount when claimed.
   */
  async claim(
    tx: ChannelDatabase,
    refund: NewRefund,
  ): Promise<{ refund: RefundRow; claimed: boolean }> {
    const [inserted] = await tx
      .insert(refunds)
      .values({
        id: refund.id,
        channel: refund.channel,
        idempotencyKey: refund.idempotencyKey,
        chargeId: refund.chargeId,
        merchantId: refund.merchantId,
        amount: refund.amount,
        currency: refund.currency,
        reason: refund.reason,
        status: "PENDING",
        createdAt: refund.at,
        updatedAt: refund.at,
      })
      .onConflictDoNothing({ target: [refunds.channel, refunds.idempotencyKey] })
      .returning();
    if (inserted) return { refund: inserted, claimed: true };
    const existing = await refundRepository.findByKey(tx, refund.channel, refund.idempotencyKey);
    if (!existing) throw new Error("refund vanished between conflict and read");
    return { refund: existing, claimed: false };
  },

  async findByKey(
    db: ChannelDatabase,
    channel: string,
    idempotencyKey: string,
  ): Promise<RefundRow | undefined> {
    const [row] = await db
      .select()
      .from(refunds)
      .where(and(eq(refunds.channel, channel), eq(refunds.idempotencyKey, idempotencyKey)));
    return row;
  },

  /**
   * Released claim → PENDING again, for a repeated request. The caller holds the charge's
   * lock, has checked the limit, and reserves the amount when this resolves with the refund.
   */
  async reclaim(tx: ChannelDatabase, id: string, at: Date): Promise<RefundRow | undefined> {
    const [row] = await tx
      .update(refunds)
      .set({ status: "PENDING", failureCode: null, failureMessage: null, updatedAt: at })
      .where(
        and(
          eq(refunds.id, id),
          eq(refunds.status, "FAILED"),
          eq(refunds.failureCode, releasedClaimCode),
        ),
      )
      .returning();
    return row;
  },

  /**
   * PENDING → the provider's decision, and the charge's amounts with it, in one transaction.
   * A refund settled already (GetChannelRefund asked the provider first) is left alone.
   */
  async settle(
    db: ChannelDatabase,
    refund: RefundRow,
    decision: ProviderDecision,
    at: Date,
  ): Promise<RefundRow> {
    return db.transaction(async (tx) => {
      const failed = decision.status === "FAILED";
      const [row] = await tx
        .update(refunds)
        .set({
          status: decision.status,
          providerReference: decision.reference,
          failureCode: failed ? decision.failureCode : null,
          failureMessage: failed ? decision.failureMessage : null,
          updatedAt: at,
        })
        .where(pending(refund.id))
        .returning();
      if (!row) return refundRepository.findExisting(tx, refund.id);
      if (decision.status !== "PENDING") {
        const refunded = decision.status === "SUCCEEDED";
        await chargeRepository.finishRefund(tx, refund.chargeId, refund.amount, refunded, at);
      }
      return row;
    });
  },

  /** PENDING → released claim, freeing its amount: the provider was not reached. */
  async release(
    db: ChannelDatabase,
    refund: RefundRow,
    message: string,
    at: Date,
  ): Promise<RefundRow> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .update(refunds)
        .set({
          status: "FAILED",
          failureCode: releasedClaimCode,
          failureMessage: message,
          updatedAt: at,
        })
        .where(pending(refund.id))
        .returning();
      if (!row) return refundRepository.findExisting(tx, refund.id);
      await chargeRepository.finishRefund(tx, refund.chargeId, refund.amount, false, at);
      return row;
    });
  },

  /** Reads the refund and locks it until the transaction ends. */
  async lock(tx: ChannelDatabase, id: string): Promise<RefundRow | undefined> {
    const [row] = await tx.select().from(refunds).where(eq(refunds.id, id)).for("update");
    return row;
  },

  /** The refund, which must exist (it was just claimed). */
  async findExisting(db: ChannelDatabase, id: string): Promise<RefundRow> {
    const [row] = await db.select().from(refunds).where(eq(refunds.id, id));
    if (!row) throw new Error(`refund ${id} vanished`);
    return row;
  },
};
