import { pgSchema } from "drizzle-orm/pg-core";

/** The Postgres schema the gateway service owns; no other service reads or writes it. */
export const gatewaySchema = pgSchema("gateway");
