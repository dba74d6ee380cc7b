import { pgSchema } from "drizzle-orm/pg-core";

/** The Postgres schema the order service owns; no other service reads or writes it. */
export const orderSchema = pgSchema("order");
