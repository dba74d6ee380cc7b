import { pgSchema } from "drizzle-orm/pg-core";

/** The Postgres schema the risk service owns; no other service reads or writes it. */
export const riskSchema = pgSchema("risk");
