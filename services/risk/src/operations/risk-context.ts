import type { Clock } from "@kassa/platform";
import type { RiskDatabase } from "../db/risk-database.js";
import type { RiskRules } from "../risk-rules.js";
import type { VelocityCounter } from "../velocity-counter.js";

/** What the risk operations need: the database, the clock, the rules and the counters. */
export interface RiskContext {
  readonly db: RiskDatabase;
  readonly clock: Clock;
  readonly rules: RiskRules;
  readonly velocity: VelocityCounter;
}
