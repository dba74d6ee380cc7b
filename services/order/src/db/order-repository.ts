import { insertSelect } from "@kassa/platform";
import {
  and,
  asc,
  eq,
  getTableColumns,
  type Param,
  type SQL,
  type SQLWrapper,
  sql,
} from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { OrderDatabase } from "./order-database.js";
import { type OrderRow, type OrderTransitionRow, orders, orderTransitions } from "./schema.js";

/** An order to create, with the time it happens. */
export interface NewOrder {
  id: string;
  merchantId: string;
  merchantOrderNo: string;
  amount: bigint;
  currency: string;
  description: string;
  at: Date;
}

/**
 * A transition out of CREATED, as one statement saw it: the order as it stood under its lock
 * (so the caller can tell why a transition did not apply), and the order after, when it did.
 */
export interface OrderTransitionResult {
  current: OrderRow;
  changed: OrderRow | undefined;
}

/**
 * Every read and write of orders. Writes come as named updates (create, mark paid, cancel),
 * each one statement that records its transition with it, so the history is never missing a
 * step and nothing is ever deleted.
 */
export const orderRepository = {
  /**
   * Inserts the order and its creation transition, unless the merchant already has an order
   * with this number; resolves with the order that exists now and whether it was created.
   * One statement (a data-modifying CTE, so both rows commit together or not at all); a
   * conflict inserts neither, and the order that holds the number is read after it.
   */
  async createIfAbsent(
    db: OrderDatabase,
    order: NewOrder,
  ): Promise<{ order: OrderRow; created: boolean }> {
    const created = db.$with("created").as(
      db
        .insert(orders)
        .values({
          id: order.id,
          merchantId: order.merchantId,
          merchantOrderNo: order.merchantOrderNo,
          amount: order.amount,
          currency: order.currency,
          description: order.description,
          status: "CREATED",
          createdAt: order.at,
          updatedAt: order.at,
        })
        .onConflictDoNothing({ target: [orders.merchantId, orders.merchantOrderNo] })
        .returning(),
    );
    const history = recordTransition(db, {
      orderId: created.id,
      fromStatus: sql`null`,
      toStatus: created.status,
      occurredAt: sql.param(order.at, orderTransitions.occurredAt),
      from: created,
    });
    const [inserted] = await db.with(created, history).select().from(created);
    if (inserted) return { order: inserted, created: true };
    const [existing] = await db
      .select()
      .from(orders)
      .where(
        and(
          eq(orders.merchantId, order.merchantId),
          eq(orders.merchantOrderNo, order.merchantOrderNo),
        ),
      );
    if (!existing) throw new Error("order vanished between conflict and read");
    return { order: existing, created: false };
  },

  async find(db: OrderDatabase, id: string): Promise<OrderRow | undefined> {
    const [row] = await db.select().from(orders).where(eq(orders.id, id));
    return row;
  },

  /** CREATED → PAID by `paymentId`; undefined when there is no such order. */
  markPaid(
    db: OrderDatabase,
    id: string,
    paymentId: string,
    at: Date,
  ): Promise<OrderTransitionResult | undefined> {
    return transitionFromCreated(db, id, {
      to: "PAID",
      changes: { paymentId, paidAt: at },
      paymentId,
      reason: null,
      at,
    });
  },

  /** CREATED → CANCELLED for `reason`; undefined when there is no such order. */
  cancel(
    db: OrderDatabase,
    id: string,
    reason: string,
    at: Date,
  ): Promise<OrderTransitionResult | undefined> {
    return transitionFromCreated(db, id, {
      to: "CANCELLED",
      changes: { cancelReason: reason, cancelledAt: at },
      paymentId: null,
      reason,
      at,
    });
  },

  /** The order's history, oldest first. */
  transitions(db: OrderDatabase, orderId: string): Promise<OrderTransitionRow[]> {
    return db
      .select()
      .from(orderTransitions)
      .where(eq(orderTransitions.orderId, orderId))
      .orderBy(asc(orderTransitions.id));
  },
};

/** A transition out of CREATED: the status it leads to and what it records. */
interface CreatedTransition {
  to: Exclude<OrderRow["status"], "CREATED">;
  changes: Partial<Pick<OrderRow, "paymentId" | "paidAt" | "cancelReason" | "cancelledAt">>;
  paymentId: string | null;
  reason: string | null;
  at: Date;
}

/**
 * The guarded update out of CREATED and its transition row, in one statement: it locks the
 * order (`SELECT … FOR UPDATE`) first and reports it as it stood then, so concurrent pay and
 * cancel calls end in one terminal state, and a caller whose transition did not apply can
 * tell why. The history row is written from the updated row only: an order not in CREATED is
 * left alone, with no history.
 */
async function transitionFromCreated(
  db: OrderDatabase,
  id: string,
  transition: CreatedTransition,
): Promise<OrderTransitionResult | undefined> {
  const current = db
    .$with("current")
    .as(db.select().from(orders).where(eq(orders.id, id)).for("update"));
  const changed = db.$with("changed").as(
    db
      .update(orders)
      .set({ ...transition.changes, status: transition.to, updatedAt: transition.at })
      .from(current)
      .where(and(eq(orders.id, current.id), eq(orders.status, "CREATED")))
      .returning(getTableColumns(orders)),
  );
  const history = recordTransition(db, {
    orderId: changed.id,
    fromStatus: sql.param("CREATED", orderTransitions.fromStatus),
    toStatus: changed.status,
    paymentId: sql.param(transition.paymentId, orderTransitions.paymentId),
    reason: sql.param(transition.reason, orderTransitions.reason),
    occurredAt: sql.param(transition.at, orderTransitions.occurredAt),
    from: changed,
  });
  const [row] = await db
    .with(current, changed, history)
    .select()
    .from(current)
    .leftJoin(changed, sql`true`);
  return row && { current: row.current, changed: row.changed ?? undefined };
}

/**
 * A transition row's values, each an expression over `from`, the rows it is written for
 * (none, one). Columns left out take their defaults.
 */
interface TransitionValues {
  orderId: PgColumn;
  fromStatus: SQL | Param;
  toStatus: PgColumn;
  paymentId?: Param;
  reason?: Param;
  occurredAt: Param;
  from: SQLWrapper;
}

/** `INSERT … SELECT` of transition rows, as a CTE of the statement that makes the change. */
function recordTransition(db: OrderDatabase, values: TransitionValues) {
  const { from, ...row } = values;
  return db.$with("history", {}).as(insertSelect(orderTransitions, row, from));
}
