import { createId, type Secret } from "@kassa/platform";
import { and, eq, gt, lte } from "drizzle-orm";
import type { ProviderAuthorizationDecision, ProviderDecision } from "../providers/provider.js";
import type { ChannelDatabase } from "./channel-database.js";
import { releasedClaimCode } from "./released-claim.js";
import { type AuthorizationRow, authorizations, charges } from "./schema.js";

/** An authorization to claim, with the time it happens; the payment method masked until written. */
export interface NewAuthorization {
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

const inStatus = (id: string, status: AuthorizationRow["status"]) =>
  and(eq(authorizations.id, id), eq(authorizations.status, status));

/**
 * Every read and write of authorizations. Like a charge, an authorization is claimed PENDING
 * before its provider is asked, then settled, or released when the provider was never
 * reached. Its one capture or void is claimed the same way: AUTHORIZED → CAPTURING or VOIDING
 * before the provider is asked, so of racing captures and voids exactly one proceeds. Writes
 * are named and conditional on the state they leave, and nothing is ever deleted.
 */
/** Writes a change to an authorization the caller locked CAPTURING. */
async function updateCapturing(
  tx: ChannelDatabase,
  id: string,
  change: Partial<typeof authorizations.$inferInsert>,
): Promise<AuthorizationRow> {
  const [row] = await tx
    .update(authorizations)
    .set(change)
    .where(inStatus(id, "CAPTURING"))
    .returning();
  if (!row) throw new Error(`authorization ${id} left CAPTURING under its lock`);
  return row;
}

export const authorizationRepository = {
  /**
   * Claims the caller's key with a PENDING authorization, unless the key is taken on this
   * channel; resolves with the authorization that holds the key now and whether this call
   * claimed it.
   */
  async claim(
    db: ChannelDatabase,
    authorization: NewAuthorization,
  ): Promise<{ authorization: AuthorizationRow; claimed: boolean }> {
    const [inserted] = await db
      .insert(authorizations)
      .values({
        id: authorization.id,
        channel: authorization.channel,
        idempotencyKey: authorization.idempotencyKey,
        merchantId: authorization.merchantId,
        amount: authorization.amount,
        currency: authorization.currency,
        paymentMethod: authorization.paymentMethod.reveal(),
        description: authorization.description,
        status: "PENDING",
        createdAt: authorization.at,
        updatedAt: authorization.at,
      })
      .onConflictDoNothing({ target: [authorizations.channel, authorizations.idempotencyKey] })
      .returning();
    if (inserted) return { authorization: inserted, claimed: true };
    const existing = await authorizationRepository.findByKey(
      db,
      authorization.channel,
      authorization.idempotencyKey,
    );
    if (!existing) throw new Error("authorization vanished between conflict and read");
    return { authorization: existing, claimed: false };
  },

  async findByKey(
    db: ChannelDatabase,
    channel: string,
    idempotencyKey: string,
  ): Promise<AuthorizationRow | undefined> {
    const [row] = await db
      .select()
      .from(authorizations)
      .where(
        and(eq(authorizations.channel, channel), eq(authorizations.idempotencyKey, idempotencyKey)),
      );
    return row;
  },

  async find(db: ChannelDatabase, id: string): Promise<AuthorizationRow | undefined> {
    const [row] = await db.select().from(authorizations).where(eq(authorizations.id, id));
    return row;
  },

  /** The authorization, which must exist (it was just claimed or read). */
  async findExisting(db: ChannelDatabase, id: string): Promise<AuthorizationRow> {
    const row = await authorizationRepository.find(db, id);
    if (!row) throw new Error(`authorization ${id} vanished`);
    return row;
  },

  /**
   * Released claim → PENDING again, for a repeated request; undefined when another call
   * claimed it first, so only one of racing retries asks the provider.
   */
  async reclaim(db: ChannelDatabase, id: string, at: Date): Promise<AuthorizationRow | undefined> {
    const [row] = await db
      .update(authorizations)
      .set({ status: "PENDING", failureCode: null, failureMessage: null, updatedAt: at })
      .where(and(inStatus(id, "FAILED"), eq(authorizations.failureCode, releasedClaimCode)))
      .returning();
    return row;
  },

  /**
   * PENDING → the provider's decision: AUTHORIZED until its expiry, or FAILED. One settled
   * already (GetAuthorization asked the provider first) is left alone.
   */
  async settle(
    db: ChannelDatabase,
    id: string,
    decision: ProviderAuthorizationDecision,
    at: Date,
  ): Promise<AuthorizationRow> {
    const [row] = await db
      .update(authorizations)
      .set(
        decision.status === "SUCCEEDED"
          ? {
              status: "AUTHORIZED",
              providerReference: decision.reference,
              expiresAt: decision.expiresAt,
              updatedAt: at,
            }
          : decision.status === "FAILED"
            ? {
                status: "FAILED",
                providerReference: decision.reference,
                failureCode: decision.failureCode,
                failureMessage: decision.failureMessage,
                updatedAt: at,
              }
            : { providerReference: decision.reference, updatedAt: at },
      )
      .where(inStatus(id, "PENDING"))
      .returning();
    return row ?? authorizationRepository.findExisting(db, id);
  },

  /** PENDING → released claim: the provider was not reached, so nothing was authorized. */
  async release(
    db: ChannelDatabase,
    id: string,
    message: string,
    at: Date,
  ): Promise<AuthorizationRow> {
    const [row] = await db
      .update(authorizations)
      .set({
        status: "FAILED",
        failureCode: releasedClaimCode,
        failureMessage: message,
        updatedAt: at,
      })
      .where(inStatus(id, "PENDING"))
      .returning();
    return row ?? authorizationRepository.findExisting(db, id);
  },

  /** AUTHORIZED past its expiry → EXPIRED: the provider released the hold by itself. */
  async expire(db: ChannelDatabase, id: string, at: Date): Promise<AuthorizationRow> {
    const [row] = await db
      .update(authorizations)
      .set({ status: "EXPIRED", updatedAt: at })
      .where(and(inStatus(id, "AUTHORIZED"), lte(authorizations.expiresAt, at)))
      .returning();
    return row ?? authorizationRepository.findExisting(db, id);
  },

  /**
   * AUTHORIZED (and unexpired) → CAPTURING `amount`, before the provider is asked; undefined
   * when the authorization is no longer AUTHORIZED (a racing capture or void won) or expired.
   */
  async claimCapture(
    db: ChannelDatabase,
    id: string,
    amount: bigint,
    at: Date,
  ): Promise<AuthorizationRow | undefined> {
    const [row] = await db
      .update(authorizations)
      .set({ status: "CAPTURING", captureAmount: amount, updatedAt: at })
      .where(and(inStatus(id, "AUTHORIZED"), gt(authorizations.expiresAt, at)))
      .returning();
    return row;
  },

  /**
   * CAPTURING → the provider's decision: CAPTURED, or FAILED with the capture's decline (the
   * hold is released, and the authorization cannot be captured again). A PENDING decision
   * leaves it CAPTURING. One settled already is left alone. CAPTURED records, in the same
   * transaction, a SUCCEEDED charge of the captured amount (keyed by the authorization's id,
   * its provider reference the authorization's), so the capture is refunded as a charge is.
   */
  async settleCapture(
    db: ChannelDatabase,
    id: string,
    decision: ProviderDecision,
    at: Date,
  ): Promise<AuthorizationRow> {
    return db.transaction(async (tx) => {
      const [locked] = await tx
        .select()
        .from(authorizations)
        .where(inStatus(id, "CAPTURING"))
        .for("update");
      if (!locked) return authorizationRepository.findExisting(tx, id);
      if (decision.status === "PENDING") {
        return updateCapturing(tx, id, { updatedAt: at });
      }
      if (decision.status === "FAILED") {
        return updateCapturing(tx, id, {
          status: "FAILED",
          failureCode: decision.failureCode,
          failureMessage: decision.failureMessage,
          updatedAt: at,
        });
      }
      const [charge] = await tx
        .insert(charges)
        .values({
          id: createId("ch"),
          channel: locked.channel,
          idempotencyKey: locked.id,
          merchantId: locked.merchantId,
          amount: locked.captureAmount ?? locked.amount,
          currency: locked.currency,
          paymentMethod: locked.paymentMethod,
          description: locked.description,
          status: "SUCCEEDED",
          providerReference: locked.providerReference ?? locked.id,
          createdAt: at,
          updatedAt: at,
        })
        .returning();
      if (!charge) throw new Error(`charge of capture ${id} was not recorded`);
      return updateCapturing(tx, id, { status: "CAPTURED", chargeId: charge.id, updatedAt: at });
    });
  },

  /** AUTHORIZED (and unexpired) → VOIDING, as {@link claimCapture}. */
  async claimVoid(
    db: ChannelDatabase,
    id: string,
    at: Date,
  ): Promise<AuthorizationRow | undefined> {
    const [row] = await db
      .update(authorizations)
      .set({ status: "VOIDING", updatedAt: at })
      .where(and(inStatus(id, "AUTHORIZED"), gt(authorizations.expiresAt, at)))
      .returning();
    return row;
  },

  /** VOIDING → VOIDED once the provider released the hold. One settled already is left alone. */
  async settleVoid(db: ChannelDatabase, id: string, at: Date): Promise<AuthorizationRow> {
    const [row] = await db
      .update(authorizations)
      .set({ status: "VOIDED", updatedAt: at })
      .where(inStatus(id, "VOIDING"))
      .returning();
    return row ?? authorizationRepository.findExisting(db, id);
  },

  /**
   * CAPTURING or VOIDING → AUTHORIZED again: the provider was not reached, so the hold is
   * untouched and the authorization can be captured or voided afresh.
   */
  async releaseChange(
    db: ChannelDatabase,
    id: string,
    from: "CAPTURING" | "VOIDING",
    at: Date,
  ): Promise<AuthorizationRow> {
    const [row] = await db
      .update(authorizations)
      .set({ status: "AUTHORIZED", captureAmount: null, updatedAt: at })
      .where(inStatus(id, from))
      .returning();
    return row ?? authorizationRepository.findExisting(db, id);
  },
};
