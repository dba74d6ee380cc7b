import type { Database } from "@kassa/platform";
import type * as schema from "./schema.js";

/** The risk service's database, or a transaction on it. */
export type RiskDatabase = Database<typeof schema>;
