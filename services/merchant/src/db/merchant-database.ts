import type { Database } from "@kassa/platform";
import type * as schema from "./schema.js";

/** The merchant service's database, or a transaction on it. */
export type MerchantDatabase = Database<typeof schema>;
