import type { Database } from "@kassa/platform";
import type * as schema from "./schema.js";

/** The order service's database, or a transaction on it. */
export type OrderDatabase = Database<typeof schema>;
