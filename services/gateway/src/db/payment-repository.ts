import { activeTraceparent } from "@kassa/platform";
import { and, desc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Failure } from "../failure-catalogue.js";
import { paymentEventOf } from "../webhooks/webhook-events.js";
import type { GatewayDatabase } from "./gateway-database.js";
import { type PaymentRow, payments } from "./schema.js";
import {
  historyOf,
  type TransitionCause,
  type TransitionEffects,
  transitionRepository,
} from "./transition-repository.js";

/** A payment to record, as CreatePayment validated it. */
export type NewPayment = Pick<
  PaymentRow,
  | "id"
  | "merchantId"
  | "idempotencyKey"
  | "requestDigest"
  | "merchantOrderNo"
  | "amount"
  | "currency"
  | "channel"
  | "description"
  | "metadata"
  | "captureMethod"
> & { at: Date };

/** Why a payment could not be created: the key, or the order number, is taken. */
export type PaymentConflict =
  | { created: true; payment: PaymentRow }
  | { created: false; on: "idempotency_key" | "merchant_order_no"; payment: PaymentRow };

/** Filters of ListPayments. */
export interface PaymentFilter {
  /** Any of these statuses. */
  status?: PaymentRow["status"][] | undefined;
  merchantOrderNo?: string | undefined;
}

/**
 * Every read and write of payments. Each write is a named transition that only applies from
 * the state it expects (`where status = …`), so racing writers (the saga, the reconciler,
 * another replica) can never undo each other; each goes through the transition repository,
 * which records it in the payment's history in the same transaction. Nothing is ever deleted.
 */
export const paymentRepository = {
  /**
   * Records the payment PENDING unless the merchant already used its idempotency key or its
   * order number; then resolves with the payment holding it. Concurrent duplicates end in one row.
   */
  async createIfAbsent(
    db: GatewayDatabase,
    payment: NewPayment,
    actor: string,
  ): Promise<PaymentConflict> {
    const { at, ...fields } = payment;
    // One statement: the insert and, when it inserted, the creation's history row.
    const created = db.$with("created").as(
      db
        .insert(payments)
        .values({
          ...fields,
          status: "PENDING",
          traceparent: activeTraceparent() ?? null,
          createdAt: at,
          updatedAt: at,
        })
        .onConflictDoNothing()
        .returning(),
    );
    const recorded = historyOf(db, created, {
      subject: "payment",
      cause: { reason: "payment created", actor },
      at,
      subjectId: created.id,
      paymentId: created.id,
      fromStatus: null,
      toStatus: created.status,
    });
    const [inserted] = await db.with(created, recorded).select().from(created);
    if (inserted) return { created: true, payment: inserted };
    const [byKey] = await db
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.merchantId, payment.merchantId),
          eq(payments.idempotencyKey, payment.idempotencyKey),
        ),
      );
    if (byKey) return { created: false, on: "idempotency_key", payment: byKey };
    const [byOrderNo] = await db
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.merchantId, payment.merchantId),
          eq(payments.merchantOrderNo, payment.merchantOrderNo),
        ),
      );
    if (byOrderNo) return { created: false, on: "merchant_order_no", payment: byOrderNo };
    throw new Error("payment vanished between conflict and read");
  },

  /**
   * The merchant's payment; another merchant's is as absent as a missing one. Without a
   * merchant (an operator's read), any merchant's.
   */
  async find(
    db: GatewayDatabase,
    merchantId: string | undefined,
    id: string,
  ): Promise<PaymentRow | undefined> {
    const [row] = await db
      .select()
      .from(payments)
      .where(
        and(eq(payments.id, id), merchantId ? eq(payments.merchantId, merchantId) : undefined),
      );
    return row;
  },

  /** Reads the payment and locks it until the transaction ends. */
  async lock(tx: GatewayDatabase, id: string): Promise<PaymentRow | undefined> {
    const [row] = await tx.select().from(payments).where(eq(payments.id, id)).for("update");
    return row;
  },

  /** PENDING → PROCESSING, about to be sent to the channel. */
  markProcessing(
    db: GatewayDatabase,
    id: string,
    progress: { orderId: string; riskScore: number; at: Date },
    cause: TransitionCause,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(db, id, ["PENDING"], "PROCESSING", cause, progress.at, {
      orderId: progress.orderId,
      riskScore: progress.riskScore,
    });
  },

  /** PROCESSING → SUCCEEDED with the channel's charge id: an automatic payment, charged. */
  succeed(
    tx: GatewayDatabase,
    id: string,
    channelPaymentId: string,
    at: Date,
    cause: TransitionCause,
    effects?: TransitionEffects,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(
      tx,
      id,
      ["PROCESSING"],
      "SUCCEEDED",
      cause,
      at,
      { channelPaymentId, capturedAt: at },
      effects,
    );
  },

  /** PROCESSING → REQUIRES_CAPTURE with the channel's authorization id: a manual payment, held. */
  authorize(
    tx: GatewayDatabase,
    id: string,
    authorizationId: string,
    at: Date,
    cause: TransitionCause,
    effects?: TransitionEffects,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(
      tx,
      id,
      ["PROCESSING"],
      "REQUIRES_CAPTURE",
      cause,
      at,
      { channelPaymentId: authorizationId },
      effects,
    );
  },

  /**
   * REQUIRES_CAPTURE → CAPTURING: claims the one capture before the channel is asked, so a
   * racing capture or cancel finds the payment taken.
   */
  claimCapture(
    db: GatewayDatabase,
    id: string,
    capture: { amount: bigint; idempotencyKey: string },
    at: Date,
    cause: TransitionCause,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(db, id, ["REQUIRES_CAPTURE"], "CAPTURING", cause, at, {
      captureAmount: capture.amount,
      captureIdempotencyKey: capture.idempotencyKey,
    });
  },

  /**
   * CAPTURING → SUCCEEDED: the channel took the claimed capture amount, recorded as the charge
   * `chargeId`, which becomes the payment's channel id so refunds go through it. A channel that
   * named no charge leaves the authorization id in place.
   */
  captured(
    tx: GatewayDatabase,
    id: string,
    chargeId: string,
    at: Date,
    cause: TransitionCause,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(tx, id, ["CAPTURING"], "SUCCEEDED", cause, at, {
      capturedAt: at,
      ...(chargeId && { channelPaymentId: chargeId }),
    });
  },

  /**
   * REQUIRES_CAPTURE → CANCELLING: claims the void before the channel is asked, so a racing
   * capture finds the payment taken.
   */
  claimCancel(
    db: GatewayDatabase,
    id: string,
    reason: string,
    at: Date,
    cause: TransitionCause,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(db, id, ["REQUIRES_CAPTURE"], "CANCELLING", cause, at, {
      cancellationReason: reason,
    });
  },

  /** PENDING (nothing sent to the channel) or CANCELLING (the hold is released) → CANCELLED. */
  cancel(
    tx: GatewayDatabase,
    id: string,
    reason: string,
    at: Date,
    cause: TransitionCause,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(tx, id, ["PENDING", "CANCELLING"], "CANCELLED", cause, at, {
      cancelledAt: at,
      cancellationReason: reason,
    });
  },

  /**
   * → FAILED with a stable code, from the statuses the caller's outcome applies to: PENDING or
   * PROCESSING for a charge or an authorization, CAPTURING for a capture.
   */
  fail(
    tx: GatewayDatabase,
    id: string,
    from: readonly ("PENDING" | "PROCESSING" | "CAPTURING")[],
    failure: Failure & { riskScore?: number; channelPaymentId?: string },
    at: Date,
    cause: TransitionCause,
    effects?: TransitionEffects,
  ): Promise<PaymentRow | undefined> {
    return transitionPayment(
      tx,
      id,
      from,
      "FAILED",
      cause,
      at,
      {
        failureCode: failure.code,
        failureMessage: failure.message,
        ...(failure.riskScore !== undefined && { riskScore: failure.riskScore }),
        ...(failure.channelPaymentId && { channelPaymentId: failure.channelPaymentId }),
      },
      effects,
    );
  },

  /**
   * Adds a succeeded refund to the payment's refunded amount (a CHECK keeps it ≤ amount). Not
   * a status change: the refund's own transition, in the same transaction, records it.
   */
  async addRefunded(
    tx: GatewayDatabase,
    paymentId: string,
    amount: bigint,
    at: Date,
  ): Promise<void> {
    await tx
      .update(payments)
      .set({ refundedAmount: sql`${payments.refundedAmount} + ${amount}`, updatedAt: at })
      .where(eq(payments.id, paymentId));
  },

  /** A page of the merchant's payments, newest first, after the given id. */
  page(
    db: GatewayDatabase,
    merchantId: string | undefined,
    filter: PaymentFilter,
    after: string | undefined,
    limit: number,
  ): Promise<PaymentRow[]> {
    const where: SQL[] = merchantId ? [eq(payments.merchantId, merchantId)] : [];
    if (filter.status) where.push(inArray(payments.status, filter.status));
    if (filter.merchantOrderNo) where.push(eq(payments.merchantOrderNo, filter.merchantOrderNo));
    if (after) where.push(lt(payments.id, after));
    return db
      .select()
      .from(payments)
      .where(and(...where))
      .orderBy(desc(payments.id))
      .limit(limit);
  },

  /** Payments left in a status since before `before`, oldest first: the reconciler's work. */
  stuck(
    db: GatewayDatabase,
    status: "PENDING" | "PROCESSING" | "REQUIRES_CAPTURE" | "CAPTURING" | "CANCELLING",
    before: Date,
    limit: number,
  ): Promise<PaymentRow[]> {
    return db
      .select()
      .from(payments)
      .where(and(eq(payments.status, status), lt(payments.updatedAt, before)))
      .orderBy(payments.updatedAt)
      .limit(limit);
  },
};

/**
 * The one way a payment's status changes: from one of `from` to `to`, with the other columns
 * the transition sets, recorded in its history in the same transaction.
 */
function transitionPayment(
  db: GatewayDatabase,
  id: string,
  from: readonly PaymentRow["status"][],
  to: PaymentRow["status"],
  cause: TransitionCause,
  at: Date,
  changes: Partial<Omit<PaymentRow, "id" | "status" | "updatedAt">>,
  effects?: TransitionEffects,
): Promise<PaymentRow | undefined> {
  return transitionRepository.transition(
    db,
    {
      subject: "payment",
      table: payments,
      id,
      from,
      to,
      changes,
      cause,
      at,
      eventOf: paymentEventOf,
    },
    effects,
  );
}
