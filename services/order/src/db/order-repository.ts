import { and, asc, eq } from "drizzle-orm";
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
 * Every read and write of orders. Writes come as named updates (create, mark paid, cancel),
 * each recording its transition in the same transaction, so the history is never missing a
 * step and nothing is ever deleted.
 */
export const orderRepository = {
  /**
   * Inserts the order and its creation transition, unless the merchant already has an order
   * with this number; resolves with the order that exists now and whether it was created.
   */
  async createIfAbsent(
    db: OrderDatabase,
    order: NewOrder,
  ): Promise<{ order: OrderRow; created: boolean }> {
    return db.transaction(async (tx) => {
      const [inserted] = await tx
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
        .returning();
      if (inserted) {
        await tx.insert(orderTransitions).values({
          orderId: inserted.id,
          fromStatus: null,
          toStatus: "CREATED",
          occurredAt: order.at,
        });
        return { order: inserted, created: true };
      }
      const [existing] = await tx
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
    });
  },

  async find(db: OrderDatabase, id: string): Promise<OrderRow | undefined> {
    const [row] = await db.select().from(orders).where(eq(orders.id, id));
    return row;
  },

  /** Reads the order and locks it until the transaction ends, so transitions never race. */
  async lock(tx: OrderDatabase, id: string): Promise<OrderRow | undefined> {
    const [row] = await tx.select().from(orders).where(eq(orders.id, id)).for("update");
    return row;
  },

  /** CREATED → PAID by `paymentId`. The caller holds the lock and has checked the state. */
  async markPaid(
    tx: OrderDatabase,
    order: OrderRow,
    paymentId: string,
    at: Date,
  ): Promise<OrderRow> {
    const [updated] = await tx
      .update(orders)
      .set({ status: "PAID", paymentId, paidAt: at, updatedAt: at })
      .where(eq(orders.id, order.id))
      .returning();
    await tx.insert(orderTransitions).values({
      orderId: order.id,
      fromStatus: order.status,
      toStatus: "PAID",
      paymentId,
      occurredAt: at,
    });
    return updated ?? order;
  },

  /** CREATED → CANCELLED. The caller holds the lock and has checked the state. */
  async cancel(tx: OrderDatabase, order: OrderRow, reason: string, at: Date): Promise<OrderRow> {
    const [updated] = await tx
      .update(orders)
      .set({ status: "CANCELLED", cancelReason: reason, cancelledAt: at, updatedAt: at })
      .where(eq(orders.id, order.id))
      .returning();
    await tx.insert(orderTransitions).values({
      orderId: order.id,
      fromStatus: order.status,
      toStatus: "CANCELLED",
      reason,
      occurredAt: at,
    });
    return updated ?? order;
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
