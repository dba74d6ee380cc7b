import { pgSchema } from "drizzle-orm/pg-core";

/** The Postgres schema the accounting service owns; no other service reads or writes it. */
export const accountingSchema = pgSchema("accounting");
