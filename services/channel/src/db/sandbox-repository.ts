import { and, asc, eq, isNull, lt, lte, type WithSubquery } from "drizzle-orm";
import type { ChannelDatabase } from "./channel-database.js";
import {
  type SandboxAuthorizationRow,
  type SandboxChargeRow,
  type SandboxNotificationRow,
  type SandboxRefundRow,
  sandboxAuthorizations,
  sandboxCharges,
  sandboxNotifications,
  sandboxRefunds,
} from "./schema.js";

/** A charge the sandbox decided, to record in its ledger. */
export type NewSandboxCharge = typeof sandboxCharges.$inferInsert;

/**
 * A write that commits with a sandbox charge's record: in the statement that inserts it
 * (`recorded`, its CTE; false when it did not apply), or in the transaction that found it.
 */
export interface RecordedAlongside {
  inStatement(db: ChannelDatabase, recorded: WithSubquery): Promise<boolean>;
  inTransaction(tx: ChannelDatabase, recorded: SandboxChargeRow): Promise<void>;
}

/** A refund the sandbox decided, to record in its ledger. */
export type NewSandboxRefund = typeof sandboxRefunds.$inferInsert;

/** A notification the sandbox owes: the decision of a PENDING charge, sent when due. */
export type NewSandboxNotification = Omit<
  typeof sandboxNotifications.$inferInsert,
  "attempts" | "acknowledgedAt"
>;

/** An authorization the sandbox decided, to record in its ledger. */
export type NewSandboxAuthorization = typeof sandboxAuthorizations.$inferInsert;

/** A capture the sandbox decided, to record on its authorization. */
export interface SandboxCapture {
  amount: bigint;
  outcome: "SUCCEEDED" | "FAILED";
  failureCode: string | null;
  failureMessage: string | null;
  at: Date;
}

/** Neither captured nor voided yet: the only state a capture or a void may leave. */
const untouched = (id: string) =>
  and(
    eq(sandboxAuthorizations.id, id),
    isNull(sandboxAuthorizations.captureOutcome),
    isNull(sandboxAuthorizations.voidedAt),
  );

/**
 * The sandbox provider's ledger: what it charged, refunded and authorized, under the ids it was asked
 * with. Recording is insert-if-absent, so a repeated request finds the first decision.
 */
export const sandboxRepository = {
  /**
   * Records the charge unless one with its id exists; resolves with the one that exists now.
   * `alongside` (the channel's own record of it) commits with it: in the same statement when
   * the charge is new (its `inStatement` gets the insert as a CTE), else, or when that did not
   * apply, in the same transaction with the charge found.
   */
  async recordCharge(
    db: ChannelDatabase,
    charge: SandboxChargeRow,
    alongside?: RecordedAlongside,
  ): Promise<SandboxChargeRow> {
    if (alongside) {
      const recorded = db
        .$with("recorded")
        .as(
          db
            .insert(sandboxCharges)
            .values(charge)
            .onConflictDoNothing()
            .returning({ id: sandboxCharges.id }),
        );
      // Applied means the insert happened: the record is exactly `charge`.
      if (await alongside.inStatement(db, recorded)) return charge;
    }
    const record = async (on: ChannelDatabase) => {
      const [inserted] = await on
        .insert(sandboxCharges)
        .values(charge)
        .onConflictDoNothing()
        .returning();
      const found = inserted ?? (await sandboxRepository.findCharge(on, charge.id));
      if (!found) throw new Error("sandbox charge vanished between conflict and read");
      await alongside?.inTransaction(on, found);
      return found;
    };
    return alongside ? db.transaction(record) : record(db);
  },

  /**
   * Records a PENDING charge and, in the same transaction, the notification that will decide
   * it, unless a charge with its id exists; resolves with the charge that exists now.
   */
  async recordPendingCharge(
    db: ChannelDatabase,
    charge: NewSandboxCharge,
    notification: NewSandboxNotification,
  ): Promise<{ charge: SandboxChargeRow; recorded: boolean }> {
    return db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(sandboxCharges)
        .values({ ...charge, outcome: "PENDING" })
        .onConflictDoNothing()
        .returning();
      if (!inserted) {
        const existing = await sandboxRepository.findCharge(tx, charge.id);
        if (!existing) throw new Error("sandbox charge vanished between conflict and read");
        return { charge: existing, recorded: false };
      }
      await tx.insert(sandboxNotifications).values(notification);
      return { charge: inserted, recorded: true };
    });
  },

  /**
   * Claims the notification due first, if any: counts the attempt and sets when the next one
   * is due (`retryAt`), so a crash mid-delivery resends it then, and another replica skips it
   * meanwhile. On its first attempt its decision is made: the PENDING charge it concerns
   * takes its outcome, in the same transaction. Notifications that used `maxAttempts` stay.
   */
  async claimDueNotification(
    db: ChannelDatabase,
    now: Date,
    maxAttempts: number,
    retryAt: (attempts: number) => Date,
  ): Promise<SandboxNotificationRow | undefined> {
    return db.transaction(async (tx) => {
      const [due] = await tx
        .select()
        .from(sandboxNotifications)
        .where(
          and(
            isNull(sandboxNotifications.acknowledgedAt),
            lte(sandboxNotifications.nextAttemptAt, now),
            lt(sandboxNotifications.attempts, maxAttempts),
          ),
        )
        .orderBy(asc(sandboxNotifications.nextAttemptAt))
        .limit(1)
        .for("update", { skipLocked: true });
      if (!due) return undefined;
      const attempts = due.attempts + 1;
      const [claimed] = await tx
        .update(sandboxNotifications)
        .set({ attempts, nextAttemptAt: retryAt(attempts) })
        .where(eq(sandboxNotifications.id, due.id))
        .returning();
      if (due.kind === "charge") {
        await tx
          .update(sandboxCharges)
          .set({
            outcome: due.outcome,
            failureCode: due.failureCode,
            failureMessage: due.failureMessage,
          })
          .where(and(eq(sandboxCharges.id, due.subjectId), eq(sandboxCharges.outcome, "PENDING")));
      }
      return claimed;
    });
  },

  /** The channel answered 2xx: the notification is delivered, never sent again. */
  async acknowledgeNotification(db: ChannelDatabase, id: string, at: Date): Promise<void> {
    await db
      .update(sandboxNotifications)
      .set({ acknowledgedAt: at })
      .where(and(eq(sandboxNotifications.id, id), isNull(sandboxNotifications.acknowledgedAt)));
  },

  async findNotificationOf(
    db: ChannelDatabase,
    subjectId: string,
  ): Promise<SandboxNotificationRow | undefined> {
    const [row] = await db
      .select()
      .from(sandboxNotifications)
      .where(eq(sandboxNotifications.subjectId, subjectId));
    return row;
  },

  async findCharge(db: ChannelDatabase, id: string): Promise<SandboxChargeRow | undefined> {
    const [row] = await db.select().from(sandboxCharges).where(eq(sandboxCharges.id, id));
    return row;
  },

  /** Records the refund unless one with its id exists; resolves with the one that exists now. */
  async recordRefund(db: ChannelDatabase, refund: NewSandboxRefund): Promise<SandboxRefundRow> {
    const [inserted] = await db
      .insert(sandboxRefunds)
      .values(refund)
      .onConflictDoNothing()
      .returning();
    if (inserted) return inserted;
    const existing = await sandboxRepository.findRefund(db, refund.id);
    if (!existing) throw new Error("sandbox refund vanished between conflict and read");
    return existing;
  },

  async findRefund(db: ChannelDatabase, id: string): Promise<SandboxRefundRow | undefined> {
    const [row] = await db.select().from(sandboxRefunds).where(eq(sandboxRefunds.id, id));
    return row;
  },

  /** Records the authorization unless one with its id exists; resolves with the one that exists now. */
  async recordAuthorization(
    db: ChannelDatabase,
    authorization: NewSandboxAuthorization,
  ): Promise<SandboxAuthorizationRow> {
    const [inserted] = await db
      .insert(sandboxAuthorizations)
      .values(authorization)
      .onConflictDoNothing()
      .returning();
    if (inserted) return inserted;
    const existing = await sandboxRepository.findAuthorization(db, authorization.id);
    if (!existing) throw new Error("sandbox authorization vanished between conflict and read");
    return existing;
  },

  async findAuthorization(
    db: ChannelDatabase,
    id: string,
  ): Promise<SandboxAuthorizationRow | undefined> {
    const [row] = await db
      .select()
      .from(sandboxAuthorizations)
      .where(eq(sandboxAuthorizations.id, id));
    return row;
  },

  /**
   * Records the capture unless the authorization was captured or voided already; resolves
   * with the authorization as it is now, so a repeated capture finds the first decision. A
   * successful capture also records a charge of the captured amount, refundable like any.
   */
  async recordCapture(
    db: ChannelDatabase,
    id: string,
    capture: SandboxCapture,
  ): Promise<SandboxAuthorizationRow | undefined> {
    return db.transaction(async (tx) => {
      const [row] = await tx
        .update(sandboxAuthorizations)
        .set({
          captureAmount: capture.amount,
          captureOutcome: capture.outcome,
          captureFailureCode: capture.failureCode,
          captureFailureMessage: capture.failureMessage,
          capturedAt: capture.at,
        })
        .where(untouched(id))
        .returning();
      if (!row) return sandboxRepository.findAuthorization(tx, id);
      // A capture is a charge of the captured amount, under the authorization's id (its
      // reference), so the sandbox refunds it as it refunds any charge.
      if (row.captureOutcome === "SUCCEEDED") {
        await tx.insert(sandboxCharges).values({
          id: row.id,
          amount: capture.amount,
          currency: row.currency,
          outcome: "SUCCEEDED",
          failureCode: null,
          failureMessage: null,
          declinesRefunds: false,
          createdAt: capture.at,
        });
      }
      return row;
    });
  },

  /** Records the void unless the authorization was captured or voided already; as recordCapture. */
  async recordVoid(
    db: ChannelDatabase,
    id: string,
    at: Date,
  ): Promise<SandboxAuthorizationRow | undefined> {
    const [row] = await db
      .update(sandboxAuthorizations)
      .set({ voidedAt: at })
      .where(untouched(id))
      .returning();
    return row ?? sandboxRepository.findAuthorization(db, id);
  },
};
