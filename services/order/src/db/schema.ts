import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  index,
  pgSchema,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** The Postgres schema the order service owns; no other service reads or writes it. */
export const orderSchema = pgSchema("order");

/** Where an order is in its life: CREATED → PAID or CREATED → CANCELLED, nothing else. */
export const orderStatus = orderSchema.enum("order_status", ["CREATED", "PAID", "CANCELLED"]);

/** A merchant's order; unique per (merchant, merchant order number). Never deleted. */
export const orders = orderSchema.table(
  "orders",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    merchantOrderNo: text("merchant_order_no").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    description: text("description").notNull().default(""),
    status: orderStatus("status").notNull(),
    paymentId: text("payment_id"),
    cancelReason: text("cancel_reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
    paidAt: timestamp("paid_at", { withTimezone: true }),
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
  },
  (table) => [
    uniqueIndex("orders_merchant_order_no_key").on(table.merchantId, table.merchantOrderNo),
    check("orders_amount_positive", sql`${table.amount} > 0`),
    check(
      "orders_paid_has_payment",
      sql`${table.status} <> 'PAID' or ${table.paymentId} is not null`,
    ),
  ],
);

/** Every state change of every order, in order: the audit trail. Never updated or deleted. */
export const orderTransitions = orderSchema.table(
  "order_transitions",
  {
    id: bigserial("id", { mode: "bigint" }).primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    /** Null for the creation of the order. */
    fromStatus: orderStatus("from_status"),
    toStatus: orderStatus("to_status").notNull(),
    paymentId: text("payment_id"),
    reason: text("reason"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
  },
  (table) => [index("order_transitions_order_id_idx").on(table.orderId, table.id)],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderTransitionRow = typeof orderTransitions.$inferSelect;
