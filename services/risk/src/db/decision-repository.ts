import type { Secret } from "@kassa/platform";
import { eq, type SQL, sql } from "drizzle-orm";
import { type BlocklistCandidate, blocklistRepository } from "./blocklist-repository.js";
import type { RiskDatabase } from "./risk-database.js";
import {
  type BlocklistEntryTypeName,
  blocklistEntries,
  type DecisionRow,
  decisions,
} from "./schema.js";

/** The customer's data and payment method a decision keeps, masked until they are written. */
type PersonalFields = "customerEmail" | "customerIp" | "customerDeviceId" | "paymentMethod";

/**
 * A decision to record: everything Assess was given and what it answered. The customer's
 * data and the payment method arrive as {@link Secret}s and are revealed only into the insert.
 */
export type NewDecision = Omit<typeof decisions.$inferInsert, PersonalFields> & {
  readonly [K in PersonalFields]: Secret | undefined;
};

/** What a decision says: its score, its answer and the reasons for it, in evaluation order. */
export type Verdict = Pick<DecisionRow, "score" | "decision" | "reasons">;

/**
 * How a decision depends on the blocklist, for {@link decisionRepository.recordScreened}: the
 * verdict when no candidate is blocklisted, and when some are (whichever: any match decides
 * the score), whose reasons are then led by one per blocklisted type, in `order`.
 */
export interface Screening {
  readonly candidates: readonly BlocklistCandidate[];
  readonly at: Date;
  readonly clean: Verdict;
  readonly blocked: Verdict;
  readonly order: readonly BlocklistEntryTypeName[];
  reasonOf(type: BlocklistEntryTypeName): string;
}

/** The audit trail of Assess answers: inserted once, never updated or deleted. */
export const decisionRepository = {
  async record(db: RiskDatabase, decision: NewDecision): Promise<DecisionRow> {
    const [row] = await db.insert(decisions).values(personal(decision)).returning();
    if (!row) throw new Error("decision insert returned no row");
    return row;
  },

  /**
   * Records a decision that depends on the blocklist, reading the blocklist in the same
   * statement: one round trip and one commit, and the entries the verdict was chosen by are
   * the ones the statement saw.
   */
  async recordScreened(
    db: RiskDatabase,
    decision: Omit<NewDecision, keyof Verdict>,
    screening: Screening,
  ): Promise<DecisionRow> {
    if (screening.candidates.length === 0) {
      return decisionRepository.record(db, { ...decision, ...screening.clean });
    }
    // Inline rather than a CTE, so the statement reads as the insert it is (in logs too).
    const hits = sql`(select ${blocklistEntries.type}::text from ${blocklistEntries} where ${blocklistRepository.matching(screening.candidates, screening.at)})`;
    const blocked = sql`exists ${hits}`;
    const listed = sql.join(
      screening.order.map(
        (type, position) => sql`(${type}::text, ${screening.reasonOf(type)}::text, ${position})`,
      ),
      sql`, `,
    );
    const [row] = await db
      .insert(decisions)
      .values({
        ...personal(decision),
        score: sql`case when ${blocked} then ${screening.blocked.score}::integer else ${screening.clean.score}::integer end`,
        decision: sql`(case when ${blocked} then ${screening.blocked.decision} else ${screening.clean.decision} end)::risk.risk_decision`,
        reasons: sql`array(select listed.reason from (values ${listed}) as listed(type, reason, position) where listed.type in ${hits} order by listed.position) || ${textArray(screening.clean.reasons)}`,
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

/** The decision with its personal fields revealed, as they are written. */
function personal<D extends Pick<NewDecision, PersonalFields>>(decision: D) {
  return {
    ...decision,
    customerEmail: decision.customerEmail?.reveal() ?? null,
    customerIp: decision.customerIp?.reveal() ?? null,
    customerDeviceId: decision.customerDeviceId?.reveal() ?? null,
    paymentMethod: decision.paymentMethod?.reveal() ?? null,
  };
}

function textArray(values: readonly string[]): SQL {
  return values.length === 0
    ? sql`array[]::text[]`
    : sql`array[${sql.join(
        values.map((value) => sql`${value}::text`),
        sql`, `,
      )}]`;
}
