import { pgSchema } from "drizzle-orm/pg-core";

/** The Postgres schema the merchant service owns; no other service reads or writes it. */
export const merchantSchema = pgSchema("merchant");
