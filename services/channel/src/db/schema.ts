import { pgSchema } from "drizzle-orm/pg-core";

/** The Postgres schema the channel service owns; no other service reads or writes it. */
export const channelSchema = pgSchema("channel");
