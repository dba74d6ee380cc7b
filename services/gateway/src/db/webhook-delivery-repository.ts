import { createId } from "@kassa/platform";
import { and, asc, count, eq, inArray, isNull, lte, min, notInArray, sql } from "drizzle-orm";
import type { GatewayDatabase } from "./gateway-database.js";
import {
  type EventRow,
  type WebhookDeliveryRow,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} from "./schema.js";

/** One HTTP attempt as the receiver answered it, or why no answer came. */
export interface WebhookAttempt {
  readonly attemptedAt: Date;
  /** Undefined when no answer came (refused, timed out, not sent). */
  readonly statusCode?: number | undefined;
  readonly latencyMs: number;
  /** The first 1 KiB of the answer's body. */
  readonly responseBody?: string | undefined;
  readonly error?: string | undefined;
}

/** What becomes of a delivery after an attempt. */
export type AttemptOutcome =
  | { kind: "delivered" }
  | { kind: "retry"; at: Date }
  | { kind: "failed" };

/** What waits for one endpoint, for metrics and `kassa status`. */
export interface EndpointBacklog {
  readonly endpointId: string;
  readonly pending: number;
  /** When the oldest undelivered delivery was made. */
  readonly oldestPendingAt: Date;
}

/**
 * Deliveries of events to webhook endpoints, and their attempts. Like the outbox: relays claim
 * due rows with FOR UPDATE SKIP LOCKED and hide them for a lease while sending outside any
 * transaction, so a relay that dies mid-delivery loses nothing (the lease lapses and any relay
 * sends it again). Rows are never deleted.
 */
export const webhookDeliveryRepository = {
  /** One delivery of the event per endpoint, due at `at`, in the caller's transaction. */
  async create(
    tx: GatewayDatabase,
    event: EventRow,
    endpointIds: readonly string[],
    at: Date,
  ): Promise<WebhookDeliveryRow[]> {
    if (endpointIds.length === 0) return [];
    return tx
      .insert(webhookDeliveries)
      .values(
        endpointIds.map((endpointId) => ({
          id: createId("whd"),
          eventId: event.id,
          endpointId,
          merchantId: event.merchantId,
          nextAttemptAt: at,
          createdAt: at,
        })),
      )
      .returning();
  },

  /** An event's deliveries, oldest first. */
  forEvent(db: GatewayDatabase, eventId: string): Promise<WebhookDeliveryRow[]> {
    return db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.eventId, eventId))
      .orderBy(asc(webhookDeliveries.id));
  },

  /**
   * Claims due deliveries of enabled endpoints and hides them until `now + leaseMs`: endpoint
   * by endpoint, at most `perEndpoint` of each (fewer for those in `inFlight`), at most
   * `limit` in all. Claiming per endpoint keeps one endpoint's backlog from filling the batch
   * and starving the others.
   */
  async claimDue(
    db: GatewayDatabase,
    now: Date,
    options: {
      limit: number;
      perEndpoint: number;
      leaseMs: number;
      /** Deliveries this relay is sending now, by endpoint. */
      inFlight: ReadonlyMap<string, number>;
    },
  ): Promise<WebhookDeliveryRow[]> {
    const busy = [...options.inFlight]
      .filter(([, sending]) => sending >= options.perEndpoint)
      .map(([endpointId]) => endpointId);
    return db.transaction(async (tx) => {
      const endpoints = await tx
        .selectDistinct({ id: webhookDeliveries.endpointId })
        .from(webhookDeliveries)
        .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
        .where(
          and(
            eq(webhookDeliveries.status, "PENDING"),
            lte(webhookDeliveries.nextAttemptAt, now),
            isNull(webhookEndpoints.disabledReason),
            busy.length > 0 ? notInArray(webhookDeliveries.endpointId, busy) : undefined,
          ),
        )
        .limit(options.limit);
      const ids: string[] = [];
      for (const { id: endpointId } of endpoints) {
        const room = Math.min(
          options.perEndpoint - (options.inFlight.get(endpointId) ?? 0),
          options.limit - ids.length,
        );
        if (room <= 0) continue;
        const due = await tx
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(
            and(
              eq(webhookDeliveries.endpointId, endpointId),
              eq(webhookDeliveries.status, "PENDING"),
              lte(webhookDeliveries.nextAttemptAt, now),
            ),
          )
          .orderBy(asc(webhookDeliveries.nextAttemptAt))
          .limit(room)
          .for("update", { skipLocked: true });
        ids.push(...due.map((row) => row.id));
      }
      if (ids.length === 0) return [];
      return tx
        .update(webhookDeliveries)
        .set({ nextAttemptAt: new Date(now.getTime() + options.leaseMs) })
        .where(inArray(webhookDeliveries.id, ids))
        .returning();
    });
  },

  /**
   * Records an attempt and its outcome in one transaction: the attempt row, the delivery's new
   * state, and the endpoint's failure streak. An endpoint failing since `disableBefore` or
   * earlier is disabled with `disableReason`; resolves true when this attempt disabled it.
   */
  async recordAttempt(
    db: GatewayDatabase,
    delivery: WebhookDeliveryRow,
    attempt: WebhookAttempt,
    outcome: AttemptOutcome,
    disable: { before: Date; reason: string },
  ): Promise<{ disabled: boolean }> {
    return db.transaction(async (tx) => {
      await tx.insert(webhookAttempts).values({
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        eventId: delivery.eventId,
        attemptedAt: attempt.attemptedAt,
        statusCode: attempt.statusCode ?? null,
        latencyMs: Math.round(attempt.latencyMs),
        responseBody: attempt.responseBody ?? null,
        error: attempt.error ?? null,
      });
      await tx
        .update(webhookDeliveries)
        .set({
          attempts: sql`${webhookDeliveries.attempts} + 1`,
          lastStatusCode: attempt.statusCode ?? null,
          lastError: attempt.error ?? null,
          ...(outcome.kind === "delivered" && {
            status: "DELIVERED" as const,
            deliveredAt: attempt.attemptedAt,
          }),
          ...(outcome.kind === "retry" && { nextAttemptAt: outcome.at }),
          ...(outcome.kind === "failed" && { status: "FAILED" as const }),
        })
        .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.status, "PENDING")));
      if (outcome.kind === "delivered") {
        await tx
          .update(webhookEndpoints)
          .set({ failingSince: null })
          .where(eq(webhookEndpoints.id, delivery.endpointId));
        return { disabled: false };
      }
      // The streak starts at its first failure.
      await tx
        .update(webhookEndpoints)
        .set({ failingSince: attempt.attemptedAt })
        .where(
          and(eq(webhookEndpoints.id, delivery.endpointId), isNull(webhookEndpoints.failingSince)),
        );
      const disabled = await tx
        .update(webhookEndpoints)
        .set({ disabledReason: disable.reason, updatedAt: attempt.attemptedAt })
        .where(
          and(
            eq(webhookEndpoints.id, delivery.endpointId),
            isNull(webhookEndpoints.disabledReason),
            lte(webhookEndpoints.failingSince, disable.before),
          ),
        )
        .returning({ id: webhookEndpoints.id });
      return { disabled: disabled.length > 0 };
    });
  },

  /** Undelivered deliveries per endpoint (deleted endpoints' excluded), and FAILED ones in all. */
  async backlog(db: GatewayDatabase): Promise<{ endpoints: EndpointBacklog[]; failed: number }> {
    const pending = await db
      .select({
        endpointId: webhookDeliveries.endpointId,
        pending: count(),
        oldest: min(webhookDeliveries.createdAt),
      })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(and(eq(webhookDeliveries.status, "PENDING"), isNull(webhookEndpoints.deletedAt)))
      .groupBy(webhookDeliveries.endpointId);
    const [failed] = await db
      .select({ failed: count() })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.status, "FAILED"));
    return {
      endpoints: pending.map((row) => ({
        endpointId: row.endpointId,
        pending: row.pending,
        oldestPendingAt: row.oldest ?? new Date(),
      })),
      failed: failed?.failed ?? 0,
    };
  },
};
