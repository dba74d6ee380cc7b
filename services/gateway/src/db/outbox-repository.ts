import { activeTraceparent } from "@kassa/platform";
import { and, asc, count, eq, inArray, lte, min, notInArray, sql } from "drizzle-orm";
import type { NewOutboxEvent } from "../outbox/outbox-payloads.js";
import type { GatewayDatabase } from "./gateway-database.js";
import { type OutboxRow, outbox } from "./schema.js";

/** What is waiting in the outbox, for metrics and health. */
export interface OutboxBacklog {
  pending: number;
  exhausted: number;
  /** When the oldest undelivered event was written; undefined when none waits. */
  oldestPendingAt: Date | undefined;
}

/**
 * The transactional outbox. Events are written in the transaction of the state change they
 * follow from, held for the process that wrote them to deliver; relays claim due ones (held
 * ones whose writer died, retries) with FOR UPDATE SKIP LOCKED (so replicas never take the
 * same row) and hide them for a lease while delivering outside any transaction. Rows are
 * never deleted.
 */
export const outboxRepository = {
  /**
   * Stores events in the caller's transaction, with the `traceparent` of the span writing
   * them: their delivery, however late, links back to that trace. They are due at once, or,
   * with `heldForMs`, only after it: the writer delivers them itself as soon as it commits
   * (no claim needed), and no relay takes them unless the writer dies first, when they come
   * due as a lapsed lease does. Resolves with the stored rows, for the writer to deliver.
   */
  async enqueue(
    tx: GatewayDatabase,
    events: readonly NewOutboxEvent[],
    at: Date,
    options: { heldForMs?: number } = {},
  ): Promise<OutboxRow[]> {
    if (events.length === 0) return [];
    const traceparent = activeTraceparent() ?? null;
    const dueAt = new Date(at.getTime() + (options.heldForMs ?? 0));
    return tx
      .insert(outbox)
      .values(
        events.map((event) => ({ ...event, traceparent, nextAttemptAt: dueAt, createdAt: at })),
      )
      .returning();
  },

  /**
   * Claims up to `limit` due events and hides them until `now + leaseMs`, in one statement: a
   * relay that dies mid-delivery lets them come back; one that finishes marks them delivered
   * or reschedules. Events of the kinds in `waiting` (their target is not serving) are left
   * where they are.
   */
  claimDue(
    db: GatewayDatabase,
    now: Date,
    limit: number,
    leaseMs: number,
    waiting: readonly string[] = [],
  ): Promise<OutboxRow[]> {
    const due = db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.status, "PENDING"),
          lte(outbox.nextAttemptAt, now),
          waiting.length > 0 ? notInArray(outbox.kind, [...waiting]) : undefined,
        ),
      )
      .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
      .limit(limit)
      .for("update", { skipLocked: true });
    return db
      .update(outbox)
      .set({ nextAttemptAt: new Date(now.getTime() + leaseMs) })
      .where(inArray(outbox.id, due))
      .returning();
  },

  /** Marks events delivered, all in one statement. */
  async delivered(db: GatewayDatabase, ids: readonly bigint[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await db
      .update(outbox)
      .set({
        status: "DELIVERED",
        attempts: sql`${outbox.attempts} + 1`,
        deliveredAt: at,
        lastError: null,
      })
      .where(inArray(outbox.id, [...ids]));
  },

  /** Makes the event due again later without counting an attempt (its target was not tried). */
  async postpone(db: GatewayDatabase, id: bigint, dueAt: Date): Promise<void> {
    await db.update(outbox).set({ nextAttemptAt: dueAt }).where(eq(outbox.id, id));
  },

  /** A failed attempt: due again at `retryAt`, or EXHAUSTED (kept for an operator) when undefined. */
  async failed(
    db: GatewayDatabase,
    id: bigint,
    error: string,
    retryAt: Date | undefined,
  ): Promise<void> {
    await db
      .update(outbox)
      .set({
        attempts: sql`${outbox.attempts} + 1`,
        lastError: error,
        ...(retryAt ? { nextAttemptAt: retryAt } : { status: "EXHAUSTED" as const }),
      })
      .where(eq(outbox.id, id));
  },

  async backlog(db: GatewayDatabase): Promise<OutboxBacklog> {
    const rows = await db
      .select({ status: outbox.status, count: count(), oldest: min(outbox.createdAt) })
      .from(outbox)
      .where(inArray(outbox.status, ["PENDING", "EXHAUSTED"]))
      .groupBy(outbox.status);
    const pending = rows.find((row) => row.status === "PENDING");
    const exhausted = rows.find((row) => row.status === "EXHAUSTED");
    return {
      pending: pending?.count ?? 0,
      exhausted: exhausted?.count ?? 0,
      oldestPendingAt: pending?.oldest ?? undefined,
    };
  },
};
