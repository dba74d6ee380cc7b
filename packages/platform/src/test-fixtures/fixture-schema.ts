import { sql } from "drizzle-orm";
import { bigint, index, pgSchema, text, timestamp } from "drizzle-orm/pg-core";

/** A small schema the platform's own tests migrate. */
export const fixtureSchema = pgSchema("fixture");

export const widgets = fixtureSchema.table(
  "widgets",
  {
    id: text("id").primaryKey(),
    amount: bigint("amount", { mode: "bigint" }).notNull().default(sql`0`),
    currency: text("currency").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("widgets_created_at_idx").on(table.createdAt)],
);
