import { and, eq } from "drizzle-orm";
import type { ChannelDatabase } from "./channel-database.js";
import { type ProviderNotificationRow, providerNotifications } from "./schema.js";

/** A verified provider notification, to record before it is applied. */
export type NewProviderNotification = Omit<typeof providerNotifications.$inferInsert, "applied">;

/**
 * Every read and write of received provider notifications. Recording is insert-if-absent on
 * (channel, event id): of a notification sent twice, even at once, exactly one records.
 */
export const notificationRepository = {
  /** Records the notification unless its event id was recorded; resolves whether this call did. */
  async record(tx: ChannelDatabase, notification: NewProviderNotification): Promise<boolean> {
    const [inserted] = await tx
      .insert(providerNotifications)
      .values({ ...notification, applied: false })
      .onConflictDoNothing()
      .returning({ eventId: providerNotifications.eventId });
    return inserted !== undefined;
  },

  /** The notification settled what it concerns. */
  async markApplied(tx: ChannelDatabase, channel: string, eventId: string): Promise<void> {
    await tx
      .update(providerNotifications)
      .set({ applied: true })
      .where(
        and(eq(providerNotifications.channel, channel), eq(providerNotifications.eventId, eventId)),
      );
  },

  async find(
    db: ChannelDatabase,
    channel: string,
    eventId: string,
  ): Promise<ProviderNotificationRow | undefined> {
    const [row] = await db
      .select()
      .from(providerNotifications)
      .where(
        and(eq(providerNotifications.channel, channel), eq(providerNotifications.eventId, eventId)),
      );
    return row;
  },
};
