import { eq } from "drizzle-orm";
import type { RiskDatabase } from "./risk-database.js";
import { type DecisionRow, decisions } from "./schema.js";

/** A decision to record: everything Assess was given and what it answered. */
export type NewDecision = typeof decisions.$inferInsert;

/** The audit trail of Assess answers: inserted once, never updated or deleted. */
export const decisionRepository = {
  async record(db: RiskDatabase, decision: NewDecision): Promise<DecisionRow> {
    const [row] = await db.insert(decisions).values(decision).returning();
    if (!row) throw new Error("decision insert returned no row");
    return row;
  },

  async find(db: RiskDatabase, id: string): Promise<DecisionRow | undefined> {
    const [row] = await db.select().from(decisions).where(eq(decisions.id, id));
    return row;
  },
};
