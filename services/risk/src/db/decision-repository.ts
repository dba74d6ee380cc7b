import type { Secret } from "@kassa/platform";
import { eq } from "drizzle-orm";
import type { RiskDatabase } from "./risk-database.js";
import { type DecisionRow, decisions } from "./schema.js";

/** The customer's data and payment method a decision keeps, masked until they are written. */
type PersonalFields = "customerEmail" | "customerIp" | "customerDeviceId" | "paymentMethod";

/**
 * A decision to record: everything Assess was given and what it answered. The customer's
 * data and the payment method arrive as {@link Secret}s and are revealed only into the insert.
 */
export type NewDecision = Omit<typeof decisions.$inferInsert, PersonalFields> & {
  readonly [K in PersonalFields]: Secret | undefined;
};

/** The audit trail of Assess answers: inserted once, never updated or deleted. */
export const decisionRepository = {
  async record(db: RiskDatabase, decision: NewDecision): Promise<DecisionRow> {
    const [row] = await db
      .insert(decisions)
      .values({
        ...decision,
        customerEmail: decision.customerEmail?.reveal() ?? null,
        customerIp: decision.customerIp?.reveal() ?? null,
        customerDeviceId: decision.customerDeviceId?.reveal() ?? null,
        paymentMethod: decision.paymentMethod?.reveal() ?? null,
      })
      .returning();
    if (!row) throw new Error("decision insert returned no row");
    return row;
  },

  async find(db: RiskDatabase, id: string): Promise<DecisionRow | undefined> {
    const [row] = await db.select().from(decisions).where(eq(decisions.id, id));
    return row;
  },
};
