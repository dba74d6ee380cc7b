import type { Database } from "@kassa/platform";
import type * as schema from "./schema.js";

/** The channel service's database, or a transaction on it. */
export type ChannelDatabase = Database<typeof schema>;
