import type { Database } from "@kassa/platform";
import type * as schema from "./schema.js";

/** The gateway's database, or a transaction on it. */
export type GatewayDatabase = Database<typeof schema>;
