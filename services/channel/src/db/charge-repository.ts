import type { Secret } from "@kassa/platform";
import { and, eq, getTableColumns, sql, type WithSubquery } from "drizzle-orm";
import type { ProviderDecision } from "../providers/provider.js";
import type { ChannelDatabase } from "./channel-database.js";
import { releasedClaimCode } from "./released-claim.js";
import { type ChargeRow, charges } from "./schema.js";

/** A charge to claim, with the time it happens; the payment method masked until written. */
export interface NewCharge {
  id: string;
  channel: string;
  idempotencyKey: string;
  merchantId: string;
  amount: bigint;
  currency: string;
  paymentMethod: Secret;
  description: string;
  at: Date;
}

/** The columns a provider's decision sets. */
function decisionChanges(decision: ProviderDecision, at: Date) {
  const failed = decision.status === "FAILED";
  return {
    status: decision.status,
    providerReference: decision.reference,
    failureCode: failed ? decision.failureCode : null,
    failureMessage: failed ? decision.failureMessage : null,
    updatedAt: at,
  };
}

const pending = (id: string) => and(eq(charges.id, id), eq(charges.status, "PENDING"));

/**
 * Every read and write of charges. A charge is claimed PENDING before its provider is asked,
 * then settled with the provider's answer, or released when the provider was never reached.
 * Writes are named and conditional on the state they leave, so racing writers cannot undo
 * each other, and nothing is ever deleted.
 */
export const chargeRepository = {
  /**
   * Claims the caller's key with a PENDING charge, unless the key is taken on this channel;
   * resolves with the charge that holds the key now and whether this call claimed it. The
   * unique key makes concurrent duplicates end in one row.
   */
  async claim(
    db: ChannelDatabase,
    charge: NewCharge,
  ): Promise<{ charge: ChargeRow; claimed: boolean }> {
    const [inserted] = await db
      .insert(charges)
      .values({
        id: charge.id,
        channel: charge.channel,
        idempotencyKey: charge.idempotencyKey,
        merchantId: charge.merchantId,
        amount: charge.amount,
        currency: charge.currency,
        paymentMethod: charge.paymentMethod.reveal(),
        description: charge.description,
        status: "PENDING",
        createdAt: charge.at,
        updatedAt: charge.at,
      })
      .onConflictDoNothing({ target: [charges.channel, charges.idempotencyKey] })
      .returning();
    if (inserted) return { charge: inserted, claimed: true };
    const existing = await chargeRepository.findByKey(db, charge.channel, charge.idempotencyKey);
    if (!existing) throw new Error("charge vanished between conflict and read");
    return { charge: existing, claimed: false };
  },

  async findByKey(
    db: ChannelDatabase,
    channel: string,
    idempotencyKey: string,
  ): Promise<ChargeRow | undefined> {
    const [row] = await db
      .select()
      .from(charges)
      .where(and(eq(charges.channel, channel), eq(charges.idempotencyKey, idempotencyKey)));
    return row;
  },

  async find(db: ChannelDatabase, id: string): Promise<ChargeRow | undefined> {
    const [row] = await db.select().from(charges).where(eq(charges.id, id));
    return row;
  },

  /** Reads the charge and locks it until the transaction ends, so refunds of it never race. */
  async lock(tx: ChannelDatabase, id: string): Promise<ChargeRow | undefined> {
    const [row] = await tx.select().from(charges).where(eq(charges.id, id)).for("update");
    return row;
  },

  /**
   * Released claim → PENDING again, for a repeated request; undefined when another call
   * claimed it first (or it is not released), so only one of racing retries asks the provider.
   */
  async reclaim(db: ChannelDatabase, id: string, at: Date): Promise<ChargeRow | undefined> {
    const [row] = await db
      .update(charges)
      .set({ status: "PENDING", failureCode: null, failureMessage: null, updatedAt: at })
      .where(
        and(
          eq(charges.id, id),
          eq(charges.status, "FAILED"),
          eq(charges.failureCode, releasedClaimCode),
        ),
      )
      .returning();
    return row;
  },

  /**
   * PENDING → the provider's decision. When the charge was settled already (GetCharge asked
   * the provider while this call waited), it is left alone: both read the same provider.
   */
  async settle(
    db: ChannelDatabase,
    id: string,
    decision: ProviderDecision,
    at: Date,
  ): Promise<ChargeRow> {
    const [row] = await db
      .update(charges)
      .set(decisionChanges(decision, at))
      .where(pending(id))
      .returning();
    return row ?? chargeRepository.findExisting(db, id);
  },

  /**
   * As {@link settle}, in the statement of `recorded`, a data-modifying CTE that records the
   * decision at its provider: applied only alongside a row of it, so both commit together or
   * neither does. Undefined when it did not apply (nothing recorded, or settled already).
   */
  async settleAlongside(
    db: ChannelDatabase,
    id: string,
    decision: ProviderDecision,
    at: Date,
    recorded: WithSubquery,
  ): Promise<ChargeRow | undefined> {
    const [row] = await db
      .with(recorded)
      .update(charges)
      .set(decisionChanges(decision, at))
      .from(recorded)
      .where(pending(id))
      .returning(getTableColumns(charges));
    return row;
  },

  /** PENDING → released claim: the provider was not reached, so nothing was charged. */
  async release(db: ChannelDatabase, id: string, message: string, at: Date): Promise<ChargeRow> {
    const [row] = await db
      .update(charges)
      .set({
        status: "FAILED",
        failureCode: releasedClaimCode,
        failureMessage: message,
        updatedAt: at,
      })
      .where(pending(id))
      .returning();
    return row ?? chargeRepository.findExisting(db, id);
  },

  /** Counts a new PENDING refund against the charge. The caller holds the lock and checked the limit. */
  async reserveRefund(tx: ChannelDatabase, id: string, amount: bigint): Promise<void> {
    await tx
      .update(charges)
      .set({ refundingAmount: sql`${charges.refundingAmount} + ${amount}` })
      .where(eq(charges.id, id));
  },

  /**
   * A PENDING refund of the charge ended: its amount leaves `refunding_amount`, and joins
   * `refunded_amount` when it succeeded (a declined or unreached refund frees it).
   */
  async finishRefund(
    tx: ChannelDatabase,
    id: string,
    amount: bigint,
    refunded: boolean,
    at: Date,
  ): Promise<void> {
    await tx
      .update(charges)
      .set(
        refunded
          ? {
              refundingAmount: sql`${charges.refundingAmount} - ${amount}`,
              refundedAmount: sql`${charges.refundedAmount} + ${amount}`,
              updatedAt: at,
            }
          : { refundingAmount: sql`${charges.refundingAmount} - ${amount}` },
      )
      .where(eq(charges.id, id));
  },

  /** The charge, which must exist (it was just claimed or locked). */
  async findExisting(db: ChannelDatabase, id: string): Promise<ChargeRow> {
    const row = await chargeRepository.find(db, id);
    if (!row) throw new Error(`charge ${id} vanished`);
    return row;
  },
};
