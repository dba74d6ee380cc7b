import { activeTraceparent } from "@kassa/platform";
import { and, desc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Failure } from "../failure-catalogue.js";
import { refundEventOf } from "../webhooks/webhook-events.js";
import type { GatewayDatabase } from "./gateway-database.js";
import { type RefundRow, refunds } from "./schema.js";
import { type TransitionCause, transitionRepository } from "./transition-repository.js";

/** A refund to reserve, as CreateRefund validated it. */
export type NewRefund = Pick<
  RefundRow,
  | "id"
  | "paymentId"
  | "merchantId"
  | "idempotencyKey"
  | "requestDigest"
  | "amount"
  | "currency"
  | "reason"
> & { at: Date };

/** Filters of ListRefunds. */
export interface RefundFilter {
  paymentId?: string | undefined;
  status?: RefundRow["status"] | undefined;
}

/**
 * Every read and write of refunds. Like payments, each write is a named transition guarded by
 * the state it expects and recorded in the payment's history in the same transaction; nothing
 * is ever deleted.
 */
export const refundRepository = {
  /** The merchant's refund under this idempotency key, if any. */
  async findByKey(
    db: GatewayDatabase,
    merchantId: string,
    idempotencyKey: string,
  ): Promise<RefundRow | undefined> {
    const [row] = await db
      .select()
      .from(refunds)
      .where(and(eq(refunds.merchantId, merchantId), eq(refunds.idempotencyKey, idempotencyKey)));
    return row;
  },

  /**
   * The merchant's refund; another merchant's is as absent as a missing one. Without a
   * merchant (an operator's read), any merchant's.
   */
  async find(
    db: GatewayDatabase,
    merchantId: string | undefined,
    id: string,
  ): Promise<RefundRow | undefined> {
    const [row] = await db
      .select()
      .from(refunds)
      .where(and(eq(refunds.id, id), merchantId ? eq(refunds.merchantId, merchantId) : undefined));
    return row;
  },

  /** Pending plus succeeded refunds of a payment: what its refund limit counts. */
  async committedAmount(tx: GatewayDatabase, paymentId: string): Promise<bigint> {
    const [row] = await tx
      .select({ total: sql<string>`coalesce(sum(${refunds.amount}), 0)` })
      .from(refunds)
      .where(
        and(eq(refunds.paymentId, paymentId), inArray(refunds.status, ["PENDING", "SUCCEEDED"])),
      );
    return BigInt(row?.total ?? 0);
  },

  /**
   * Inserts the refund PENDING. The caller holds the payment's lock and checked the limit;
   * undefined when the key was taken meanwhile (the caller then reads what holds it).
   */
  async reserve(
    tx: GatewayDatabase,
    refund: NewRefund,
    actor: string,
  ): Promise<RefundRow | undefined> {
    const { at, ...fields } = refund;
    const [row] = await tx
      .insert(refunds)
      .values({
        ...fields,
        status: "PENDING",
        traceparent: activeTraceparent() ?? null,
        createdAt: at,
        updatedAt: at,
      })
      .onConflictDoNothing()
      .returning();
    if (row) {
      await transitionRepository.recordCreation(tx, {
        subject: "refund",
        id: row.id,
        paymentId: row.paymentId,
        status: row.status,
        cause: { reason: "refund requested", actor },
        at,
      });
    }
    return row;
  },

  /** Reads the refund and locks it until the transaction ends. */
  async lock(tx: GatewayDatabase, id: string): Promise<RefundRow | undefined> {
    const [row] = await tx.select().from(refunds).where(eq(refunds.id, id)).for("update");
    return row;
  },

  /** PENDING → SUCCEEDED with the channel's refund id. */
  succeed(
    tx: GatewayDatabase,
    id: string,
    channelRefundId: string,
    at: Date,
    cause: TransitionCause,
  ): Promise<RefundRow | undefined> {
    return transitionRefund(tx, id, "SUCCEEDED", cause, at, { channelRefundId });
  },

  /** PENDING → FAILED; its amount is refundable again. */
  fail(
    tx: GatewayDatabase,
    id: string,
    failure: Failure & { channelRefundId?: string },
    at: Date,
    cause: TransitionCause,
  ): Promise<RefundRow | undefined> {
    return transitionRefund(tx, id, "FAILED", cause, at, {
      failureCode: failure.code,
      failureMessage: failure.message,
      ...(failure.channelRefundId && { channelRefundId: failure.channelRefundId }),
    });
  },

  /** A page of the merchant's refunds, newest first, after the given id. */
  page(
    db: GatewayDatabase,
    merchantId: string | undefined,
    filter: RefundFilter,
    after: string | undefined,
    limit: number,
  ): Promise<RefundRow[]> {
    const where: SQL[] = merchantId ? [eq(refunds.merchantId, merchantId)] : [];
    if (filter.paymentId) where.push(eq(refunds.paymentId, filter.paymentId));
    if (filter.status) where.push(eq(refunds.status, filter.status));
    if (after) where.push(lt(refunds.id, after));
    return db
      .select()
      .from(refunds)
      .where(and(...where))
      .orderBy(desc(refunds.id))
      .limit(limit);
  },

  /** Refunds PENDING since before `before`, oldest first: the reconciler's work. */
  stuck(db: GatewayDatabase, before: Date, limit: number): Promise<RefundRow[]> {
    return db
      .select()
      .from(refunds)
      .where(and(eq(refunds.status, "PENDING"), lt(refunds.updatedAt, before)))
      .orderBy(refunds.updatedAt)
      .limit(limit);
  },
};

/**
 * The one way a refund's status changes: PENDING to `to`, with the other columns the
 * transition sets, recorded in its payment's history in the same transaction.
 */
function transitionRefund(
  db: GatewayDatabase,
  id: string,
  to: RefundRow["status"],
  cause: TransitionCause,
  at: Date,
  changes: Partial<Omit<RefundRow, "id" | "status" | "updatedAt">>,
): Promise<RefundRow | undefined> {
  return transitionRepository.transition(db, {
    subject: "refund",
    table: refunds,
    id,
    from: ["PENDING"],
    to,
    changes,
    cause,
    at,
    eventOf: refundEventOf,
  });
}
