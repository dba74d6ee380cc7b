import type { Database } from "@kassa/platform";
import type * as schema from "./schema.js";

/** The accounting service's database, or a transaction on it. */
export type AccountingDatabase = Database<typeof schema>;
