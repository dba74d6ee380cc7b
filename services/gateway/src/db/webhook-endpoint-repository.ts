import { and, arrayOverlaps, desc, eq, inArray, isNull, lt, type SQL } from "drizzle-orm";
import type { GatewayDatabase } from "./gateway-database.js";
import { type WebhookEndpointRow, webhookEndpoints } from "./schema.js";

/** A webhook endpoint to record, as CreateWebhookEndpoint validated it, its secret sealed. */
export type NewWebhookEndpoint = Pick<
  WebhookEndpointRow,
  "id" | "merchantId" | "url" | "description" | "enabledEvents" | "secretCiphertext"
> & { at: Date };

/** What UpdateWebhookEndpoint changes; absent fields stay. */
export interface WebhookEndpointUpdate {
  url?: string | undefined;
  description?: string | undefined;
  enabledEvents?: string[] | undefined;
  /** A reason disables the endpoint, null enables it. */
  disabledReason?: string | null | undefined;
}

/**
 * Merchants' webhook endpoints. A deleted one keeps its row (`deleted_at`) and reads as absent;
 * every read is scoped to the merchant, so another merchant's endpoint is NOT_FOUND too.
 */
export const webhookEndpointRepository = {
  async create(db: GatewayDatabase, endpoint: NewWebhookEndpoint): Promise<WebhookEndpointRow> {
    const { at, ...fields } = endpoint;
    const [row] = await db
      .insert(webhookEndpoints)
      .values({ ...fields, createdAt: at, updatedAt: at })
      .returning();
    if (!row) throw new Error("webhook endpoint insert returned no row");
    return row;
  },

  /** The merchant's endpoint, unless deleted. */
  async find(
    db: GatewayDatabase,
    merchantId: string,
    id: string,
  ): Promise<WebhookEndpointRow | undefined> {
    const [row] = await db
      .select()
      .from(webhookEndpoints)
      .where(live(merchantId, eq(webhookEndpoints.id, id)));
    return row;
  },

  /** A page of the merchant's endpoints, newest first, after the given id. */
  page(
    db: GatewayDatabase,
    merchantId: string,
    after: string | undefined,
    limit: number,
  ): Promise<WebhookEndpointRow[]> {
    return db
      .select()
      .from(webhookEndpoints)
      .where(live(merchantId, after ? lt(webhookEndpoints.id, after) : undefined))
      .orderBy(desc(webhookEndpoints.id))
      .limit(limit);
  },

  /** Applies the fields set; undefined when the endpoint is gone. */
  async update(
    db: GatewayDatabase,
    merchantId: string,
    id: string,
    update: WebhookEndpointUpdate,
    at: Date,
  ): Promise<WebhookEndpointRow | undefined> {
    const [row] = await db
      .update(webhookEndpoints)
      .set({
        ...(update.url !== undefined && { url: update.url }),
        ...(update.description !== undefined && { description: update.description }),
        ...(update.enabledEvents !== undefined && { enabledEvents: update.enabledEvents }),
        // Enabling forgets the failures that disabled it: the next failure starts a new clock.
        ...(update.disabledReason !== undefined && {
          disabledReason: update.disabledReason,
          failingSince: null,
        }),
        updatedAt: at,
      })
      .where(live(merchantId, eq(webhookEndpoints.id, id)))
      .returning();
    return row;
  },

  /** Soft-deletes the endpoint: it stops receiving and is no longer listed. */
  async delete(
    db: GatewayDatabase,
    merchantId: string,
    id: string,
    at: Date,
  ): Promise<WebhookEndpointRow | undefined> {
    const [row] = await db
      .update(webhookEndpoints)
      .set({ deletedAt: at, updatedAt: at, disabledReason: "deleted" })
      .where(live(merchantId, eq(webhookEndpoints.id, id)))
      .returning();
    return row;
  },

  /** Replaces the secret; the current one keeps signing until `previousExpiresAt`. */
  async rollSecret(
    db: GatewayDatabase,
    merchantId: string,
    id: string,
    roll: { secretCiphertext: string; previousExpiresAt: Date },
    at: Date,
  ): Promise<WebhookEndpointRow | undefined> {
    return db.transaction(async (tx) => {
      const [current] = await tx
        .select()
        .from(webhookEndpoints)
        .where(live(merchantId, eq(webhookEndpoints.id, id)))
        .for("update");
      if (!current) return undefined;
      const [row] = await tx
        .update(webhookEndpoints)
        .set({
          secretCiphertext: roll.secretCiphertext,
          previousSecretCiphertext: current.secretCiphertext,
          previousSecretExpiresAt: roll.previousExpiresAt,
          updatedAt: at,
        })
        .where(eq(webhookEndpoints.id, id))
        .returning();
      return row;
    });
  },

  /** The merchant's enabled endpoints that take events of this type. */
  subscribedTo(
    tx: Pick<GatewayDatabase, "select">,
    merchantId: string,
    type: string,
  ): Promise<WebhookEndpointRow[]> {
    return tx
      .select()
      .from(webhookEndpoints)
      .where(
        and(
          live(merchantId),
          isNull(webhookEndpoints.disabledReason),
          arrayOverlaps(webhookEndpoints.enabledEvents, [type, "*"]),
        ),
      );
  },

  /** Endpoints by id, whoever owns them (the relay's read). */
  byIds(db: GatewayDatabase, ids: readonly string[]): Promise<WebhookEndpointRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return db
      .select()
      .from(webhookEndpoints)
      .where(inArray(webhookEndpoints.id, [...ids]));
  },
};

function live(merchantId: string, condition?: SQL): SQL | undefined {
  return and(
    eq(webhookEndpoints.merchantId, merchantId),
    isNull(webhookEndpoints.deletedAt),
    condition,
  );
}
