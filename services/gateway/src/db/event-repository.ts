import { createId } from "@kassa/platform";
import { and, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import { eventApiVersion, type NewEvent } from "../webhooks/webhook-events.js";
import type { GatewayDatabase } from "./gateway-database.js";
import { type EventRow, events } from "./schema.js";
import { webhookDeliveryRepository } from "./webhook-delivery-repository.js";
import { webhookEndpointRepository } from "./webhook-endpoint-repository.js";

/**
 * Events merchants hear of. Each is written in the transaction of the change it reports, with
 * a delivery for every enabled endpoint of the merchant subscribed to its type, so a crash
 * anywhere leaves either the change with its event and deliveries, or neither. Never updated,
 * never deleted.
 */
export const eventRepository = {
  /**
   * Stores the event and its deliveries (due at once) in the caller's transaction; resolves
   * with the event and how many deliveries it has.
   */
  async record(
    tx: GatewayDatabase,
    event: NewEvent,
    at: Date,
  ): Promise<{ event: EventRow; deliveries: number }> {
    // One round trip: the insert runs as a CTE of the endpoints' read, which (a statement's
    // reads seeing the rows as they were before it) does not depend on it.
    const row = { ...event, id: createId("evt"), apiVersion: eventApiVersion, createdAt: at };
    const inserted = tx.$with("inserted").as(tx.insert(events).values(row).returning());
    const endpoints = await webhookEndpointRepository.subscribedTo(
      tx.with(inserted),
      row.merchantId,
      row.type,
    );
    const deliveries = await webhookDeliveryRepository.create(
      tx,
      row,
      endpoints.map((endpoint) => endpoint.id),
      at,
    );
    return { event: row, deliveries: deliveries.length };
  },

  /** The merchant's event; another merchant's is as absent as a missing one. Without a merchant, any. */
  async find(
    db: GatewayDatabase,
    merchantId: string | undefined,
    id: string,
  ): Promise<EventRow | undefined> {
    const [row] = await db
      .select()
      .from(events)
      .where(and(eq(events.id, id), merchantId ? eq(events.merchantId, merchantId) : undefined));
    return row;
  },

  /** Events by id, whoever owns them (the relay's read). */
  byIds(db: GatewayDatabase, ids: readonly string[]): Promise<EventRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return db
      .select()
      .from(events)
      .where(inArray(events.id, [...ids]));
  },

  /** A page of the merchant's events, newest first, after the given id. */
  page(
    db: GatewayDatabase,
    merchantId: string | undefined,
    type: string | undefined,
    after: string | undefined,
    limit: number,
  ): Promise<EventRow[]> {
    const where: SQL[] = merchantId ? [eq(events.merchantId, merchantId)] : [];
    if (type) where.push(eq(events.type, type));
    if (after) where.push(lt(events.id, after));
    return db
      .select()
      .from(events)
      .where(and(...where))
      .orderBy(desc(events.id))
      .limit(limit);
  },
};
