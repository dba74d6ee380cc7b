import { eq } from "drizzle-orm";
import type { ChannelDatabase } from "./channel-database.js";
import {
  type SandboxChargeRow,
  type SandboxRefundRow,
  sandboxCharges,
  sandboxRefunds,
} from "./schema.js";

/** A charge the sandbox decided, to record in its ledger. */
export type NewSandboxCharge = typeof sandboxCharges.$inferInsert;

/** A refund the sandbox decided, to record in its ledger. */
export type NewSandboxRefund = typeof sandboxRefunds.$inferInsert;

/**
 * The sandbox provider's ledger: what it charged and refunded, under the ids it was asked
 * with. Recording is insert-if-absent, so a repeated request finds the first decision.
 */
export const sandboxRepository = {
  /** Records the charge unless one with its id exists; resolves with the one that exists now. */
  async recordCharge(db: ChannelDatabase, charge: NewSandboxCharge): Promise<SandboxChargeRow> {
    const [inserted] = await db
      .insert(sandboxCharges)
      .values(charge)
      .onConflictDoNothing()
      .returning();
    if (inserted) return inserted;
    const existing = await sandboxRepository.findCharge(db, charge.id);
    if (!existing) throw new Error("sandbox charge vanished between conflict and read");
    return existing;
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
};
