import { insertSelect } from "@kassa/platform";
import {
  and,
  asc,
  eq,
  getTableColumns,
  gt,
  inArray,
  is,
  type SQL,
  type SQLWrapper,
  sql,
  type WithSubquery,
} from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { NewEvent } from "../webhooks/webhook-events.js";
import { eventRepository } from "./event-repository.js";
import type { GatewayDatabase } from "./gateway-database.js";
import {
  type payments,
  type refunds,
  type StatusTransitionRow,
  statusTransitions,
} from "./schema.js";

/** Why a status changed and who changed it, as the history records it. */
export interface TransitionCause {
  /** A failure code, or a short why (`charge succeeded`). */
  readonly reason: string;
  /** `request:<request id>` for a merchant's or operator's call, or a worker's name. */
  readonly actor: string;
}

/**
 * What a transition wrote besides the subject and its history, counted for a caller that acts
 * after the commit (the webhook relay is woken only when a delivery was written).
 */
export interface TransitionEffects {
  webhookDeliveries: number;
}

/** Who made a transition, spelled the same way everywhere. */
export const transitionActors = {
  /** The RPC with this request id (the caller's `x-request-id`, or one the gateway assigned). */
  request: (requestId: string) => `request:${requestId}`,
  /** The worker that finishes sagas whose answer never came. */
  reconciler: "reconciler",
} as const;

/** A table whose rows have a status history: payments and refunds. */
type SubjectTable = typeof payments | typeof refunds;
type SubjectRow<Table extends SubjectTable> = Table["$inferSelect"];
type SubjectStatus<Table extends SubjectTable> = SubjectRow<Table>["status"];

/** What {@link transitionRepository.transition} needs to change one subject's status. */
export interface Transition<Table extends SubjectTable> {
  readonly subject: StatusTransitionRow["subject"];
  readonly table: Table;
  readonly id: string;
  /** The statuses it applies from; from any other it changes nothing and records nothing. */
  readonly from: readonly SubjectStatus<Table>[];
  readonly to: SubjectStatus<Table>;
  /** The other columns it sets (`updated_at` is set to `at`). */
  readonly changes: Partial<Omit<Table["$inferInsert"], "id" | "status" | "updatedAt">>;
  readonly cause: TransitionCause;
  readonly at: Date;
  /** The event a merchant hears of this change by, if it is one they care about. */
  eventOf(from: SubjectStatus<Table>, changed: SubjectRow<Table>): NewEvent | undefined;
}

/** The history row written with a change or a creation. */
interface HistoryCause {
  readonly subject: StatusTransitionRow["subject"];
  readonly cause: TransitionCause;
  readonly at: Date;
}

/**
 * The history of payments' and refunds' statuses. Every status change goes through
 * {@link transitionRepository.transition} and every creation through
 * {@link transitionRepository.recordCreation}, so no status is written without its history
 * row in the same transaction; rows are only ever inserted. A change a merchant cares about
 * also writes its webhook event (and the event's deliveries) in that transaction.
 */
export const transitionRepository = {
  /**
   * Changes a subject's status and records the transition, in one transaction (the caller's,
   * when `db` is one already: no savepoint, as nothing here is retried on its own). The update
   * locks the subject before it writes, so the recorded `from` is the status it replaced; a
   * subject not in `from` (a duplicate finish, a racing replica) is left alone and no row is
   * written. The transition's event, if it makes one, is written with it. Two statements: the
   * change with its history, then the event with its deliveries' endpoints.
   */
  transition<Table extends SubjectTable>(
    db: GatewayDatabase,
    transition: Transition<Table>,
    effects?: TransitionEffects,
  ): Promise<SubjectRow<Table> | undefined> {
    const run = async (tx: GatewayDatabase) => {
      const written = await lockedStatusUpdate(tx, transition);
      if (!written) return undefined;
      const { at } = transition;
      const { row: changed, from } = written;
      const event = transition.eventOf(from, changed);
      if (event) {
        const { deliveries } = await eventRepository.record(tx, event, at);
        if (effects) effects.webhookDeliveries += deliveries;
      }
      return changed;
    };
    return is(db, PgTransaction) ? run(db) : db.transaction(run);
  },

  /** Records a subject's creation (from no status); call it in the transaction that inserts it. */
  async recordCreation(
    tx: GatewayDatabase,
    created: {
      subject: StatusTransitionRow["subject"];
      id: string;
      paymentId: string;
      status: string;
      cause: TransitionCause;
      at: Date;
    },
  ): Promise<void> {
    await tx.insert(statusTransitions).values({
      subject: created.subject,
      subjectId: created.id,
      paymentId: created.paymentId,
      fromStatus: null,
      toStatus: created.status,
      reason: created.cause.reason,
      actor: created.cause.actor,
      occurredAt: created.at,
    });
  },

  /** A page of a payment's history (its refunds' included), oldest first, after a sequence. */
  page(
    db: GatewayDatabase,
    paymentId: string,
    after: bigint | undefined,
    limit: number,
  ): Promise<StatusTransitionRow[]> {
    const where: SQL[] = [eq(statusTransitions.paymentId, paymentId)];
    if (after !== undefined) where.push(gt(statusTransitions.sequence, after));
    return db
      .select()
      .from(statusTransitions)
      .where(and(...where))
      .orderBy(asc(statusTransitions.sequence))
      .limit(limit);
  },
};

/**
 * ONE statement for a {@link Transition}: it locks the row (`SELECT … FOR UPDATE` in a CTE),
 * sets the new status and `changes` only if the status it holds is one of `from`, and inserts
 * the history row of the change from what the update returned, so the change and its history
 * are one round trip and cannot part. Under READ COMMITTED the update re-reads a row changed
 * meanwhile, and the lock is already held, so the status it reports is the one it replaced.
 * Resolves with the row and that status; undefined (and no history written) when the subject
 * is not in `from`.
 */
async function lockedStatusUpdate<Table extends SubjectTable>(
  tx: GatewayDatabase,
  transition: Transition<Table>,
): Promise<{ row: SubjectRow<Table>; from: SubjectStatus<Table> } | undefined> {
  const { id, from, to, changes, subject: kind, cause, at } = transition;
  // Both tables have the columns used here; drizzle cannot see that through the union.
  const subject = transition.table as typeof payments;
  const before = tx
    .$with("before")
    .as(
      tx
        .select({ id: subject.id, status: subject.status })
        .from(subject)
        .where(eq(subject.id, id))
        .for("update"),
    );
  const updated = tx.$with("updated").as(
    tx
      .update(subject)
      .set({ ...(changes as Partial<typeof payments.$inferInsert>), status: to, updatedAt: at })
      .from(before)
      .where(
        and(
          eq(subject.id, before.id),
          inArray(subject.status, [...from] as (typeof payments.$inferSelect)["status"][]),
        ),
      )
      .returning({
        ...getTableColumns(subject),
        fromStatus: sql<string>`${before.status}`.as("from_status"),
      }),
  );
  // A payment's history is its own; a refund's is its payment's.
  const paymentId =
    kind === "payment"
      ? updated.id
      : (updated as unknown as { paymentId: typeof updated.id }).paymentId;
  const recorded = historyOf(tx, updated, {
    subject: kind,
    cause,
    at,
    subjectId: updated.id,
    paymentId,
    fromStatus: updated.fromStatus,
    toStatus: updated.status,
  });
  // The statement's own reads see the rows as they were before it: the changed row is the
  // one the update returned.
  const [written] = await tx.with(before, updated, recorded).select().from(updated);
  if (!written) return undefined;
  const { fromStatus, ...row } = written;
  return { row, from: fromStatus } as { row: SubjectRow<Table>; from: SubjectStatus<Table> };
}

/**
 * A CTE inserting one history row per row of `source` (a CTE of the same statement that wrote
 * the subject), for a statement that writes a subject and its history in one round trip.
 */
export function historyOf(
  db: GatewayDatabase,
  source: WithSubquery,
  row: HistoryCause & {
    subjectId: SQLWrapper;
    paymentId: SQLWrapper;
    fromStatus: SQLWrapper | null;
    toStatus: SQLWrapper;
  },
) {
  const { subject, cause, at, ...columns } = row;
  return db
    .$with("recorded", {})
    .as(
      insertSelect(
        statusTransitions,
        { ...columns, subject, reason: cause.reason, actor: cause.actor, occurredAt: at },
        source,
      ),
    );
}
