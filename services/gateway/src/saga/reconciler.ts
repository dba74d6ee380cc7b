import { Code, ConnectError } from "@connectrpc/connect";
import { AuthorizationStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { type DependencyHealth, linksTo } from "@kassa/platform";
import { paymentRepository } from "../db/payment-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import type { PaymentRow, RefundRow } from "../db/schema.js";
import { transitionActors } from "../db/transition-repository.js";
import { type FailureCode, failure } from "../failure-catalogue.js";
import type { GatewayContext } from "../gateway-context.js";
import { createWorkerPause } from "../worker-pause.js";
import {
  authorizeOutcome,
  captureAtChannel,
  captureOutcome,
  finishCancel,
  finishCapture,
  isReleased,
  voidAtChannel,
} from "./authorization-outcome.js";
import { chargeOutcome, finishPayment } from "./payment-outcome.js";
import { finishRefund, refundOutcome } from "./refund-outcome.js";

/** Options for {@link startReconciler}. */
export interface ReconcilerOptions {
  /** How often it runs; it also runs once at start. */
  intervalMs: number;
  /** PROCESSING payments and PENDING refunds older than this are reconciled. */
  afterMs: number;
  /** PENDING payments (never sent to the channel) older than this were abandoned mid-saga. */
  pendingAfterMs: number;
  /** REQUIRES_CAPTURE payments older than this are voided and CANCELLED `expired`. */
  captureExpiryMs: number;
  /**
   * The channel's own readiness: while it is not serving there is nobody to ask, so rounds
   * wait for it rather than spending calls that would only trip its breaker.
   */
  channelHealth: DependencyHealth;
  /** Stops it after its current round. */
  signal: AbortSignal;
}

const batch = 100;

/**
 * Finishes sagas whose answer never came: a payment left PROCESSING (the channel answered too
 * late, the gateway died after sending the charge) or a refund left PENDING is settled by asking
 * the channel (GetCharge / GetChannelRefund by its idempotency key, which is the payment or
 * refund id) and finishing it exactly as the saga would have; NOT_FOUND means the channel never
 * received it, so nothing was charged. A payment still PENDING long after it was created was
 * abandoned before anything was sent, and fails. Manual capture: a PROCESSING manual payment
 * asks GetAuthorization instead; a capture or a void claimed (CAPTURING, CANCELLING) but not
 * answered is read back with GetAuthorization and finished, or sent again when it never
 * reached the channel (both are idempotent there); an authorization left uncaptured past the
 * capture expiry is claimed for a void and CANCELLED `expired`. Safe with several replicas:
 * every finish is a guarded transition, so a duplicate answer changes nothing.
 */
export function startReconciler(
  context: GatewayContext,
  options: ReconcilerOptions,
): Promise<void> {
  const { signal } = options;

  const ago = (ms: number) => new Date(context.clock.now().getTime() - ms);

  /** A claimed capture whose answer never came: read it back, or send it again. */
  const reconcileCapture = async (payment: PaymentRow) => {
    const { authorization } = await context.clients.channel.getAuthorization({
      channel: payment.channel,
      idempotencyKey: payment.id,
    });
    const outcome = captureOutcome(authorization);
    if (outcome) {
      await finishCapture(context, payment.id, outcome, transitionActors.reconciler);
    } else if (authorization?.status === AuthorizationStatus.AUTHORIZED) {
      await captureAtChannel(context, payment, transitionActors.reconciler);
    }
  };

  /** A claimed void whose answer never came: read it back, or send it again. */
  const reconcileVoid = async (payment: PaymentRow) => {
    const { authorization } = await context.clients.channel.getAuthorization({
      channel: payment.channel,
      idempotencyKey: payment.id,
    });
    if (isReleased(authorization)) {
      await finishCancel(context, payment.id, transitionActors.reconciler);
    } else if (authorization?.status === AuthorizationStatus.AUTHORIZED) {
      await voidAtChannel(context, payment, transitionActors.reconciler);
    }
  };

  /** An authorization left uncaptured too long: claim its void (a racing capture may win). */
  const expire = async (payment: PaymentRow) => {
    const expired: FailureCode = "expired";
    const claimed = await paymentRepository.claimCancel(
      context.db,
      payment.id,
      expired,
      context.clock.now(),
      { reason: expired, actor: transitionActors.reconciler },
    );
    if (claimed) await voidAtChannel(context, claimed, transitionActors.reconciler);
  };

  const each = async <T extends { id: string; traceparent: string | null }>(
    subject: "payment" | "refund",
    rows: T[],
    reconcile: (row: T) => Promise<void>,
  ) => {
    for (const row of rows) {
      if (signal.aborted) return;
      await reconcileInSpan(context, subject, row, reconcile);
    }
  };

  const round = async () => {
    await each(
      "payment",
      await paymentRepository.stuck(context.db, "PROCESSING", ago(options.afterMs), batch),
      (payment) => reconcilePayment(context, payment),
    );
    await each(
      "payment",
      await paymentRepository.stuck(context.db, "PENDING", ago(options.pendingAfterMs), batch),
      (payment) =>
        finishPayment(
          context,
          payment.id,
          {
            kind: "not_charged",
            failure: failure("service_unavailable", "the payment was abandoned mid-saga"),
          },
          transitionActors.reconciler,
        ).then(() => undefined),
    );
    await each(
      "payment",
      await paymentRepository.stuck(context.db, "CAPTURING", ago(options.afterMs), batch),
      reconcileCapture,
    );
    await each(
      "payment",
      await paymentRepository.stuck(context.db, "CANCELLING", ago(options.afterMs), batch),
      reconcileVoid,
    );
    await each(
      "payment",
      await paymentRepository.stuck(
        context.db,
        "REQUIRES_CAPTURE",
        ago(options.captureExpiryMs),
        batch,
      ),
      expire,
    );
    const refunds = await refundRepository.stuck(context.db, ago(options.afterMs), batch);
    await each("refund", refunds, async (refund) => {
      const payment = await paymentRepository.find(context.db, refund.merchantId, refund.paymentId);
      if (payment) await reconcileRefund(context, refund, payment.channel);
    });
  };

  const run = async () => {
    const between = createWorkerPause(signal);
    while (!signal.aborted) {
      if (!(await options.channelHealth.untilServing(signal))) return;
      await round().catch((error: unknown) =>
        context.logger.error({ err: error }, "reconciler round failed"),
      );
      await between.pause(options.intervalMs);
    }
  };
  return run();
}

/**
 * Reconciles one row in a span of its own: a new trace linked to the request that created
 * the payment or refund, so its story shows how it ended. A failure is logged, and the next
 * round tries again.
 */
async function reconcileInSpan<T extends { id: string; traceparent: string | null }>(
  context: GatewayContext,
  subject: "payment" | "refund",
  row: T,
  reconcile: (row: T) => Promise<void>,
): Promise<void> {
  const span = {
    root: true,
    links: linksTo(row.traceparent),
    attributes: { "kassa.reconcile.subject": row.id },
  };
  await context.tracing
    .inSpan(`reconcile ${subject}`, span, () => reconcile(row))
    .catch((error: unknown) => {
      // The error itself, not its message: the logger's serializer keeps a failed
      // statement's table and SQLSTATE and drops its parameters.
      context.logger.warn({ id: row.id, err: error }, "reconciliation failed; will retry");
    });
}

/**
 * Reconciles one payment PROCESSING or one refund PENDING now, as a round would, without
 * waiting for it to be old: for when the channel said it settled (a settlement hint). Anything
 * else (finished already, unknown) is left alone. The reconciler's rounds stay the safety net.
 */
export async function reconcileNow(
  context: GatewayContext,
  kind: "payment" | "refund",
  id: string,
): Promise<void> {
  if (kind === "payment") {
    const payment = await paymentRepository.find(context.db, undefined, id);
    if (payment?.status !== "PROCESSING") return;
    await reconcileInSpan(context, "payment", payment, (row) => reconcilePayment(context, row));
    return;
  }
  const refund = await refundRepository.find(context.db, undefined, id);
  if (refund?.status !== "PENDING") return;
  const payment = await paymentRepository.find(context.db, refund.merchantId, refund.paymentId);
  if (!payment) return;
  await reconcileInSpan(context, "refund", refund, (row) =>
    reconcileRefund(context, row, payment.channel),
  );
}

/**
 * A PROCESSING payment: what did the channel do with its charge (or, manual, its
 * authorization)? NOT_FOUND means it never received it, so nothing was charged or held.
 */
async function reconcilePayment(context: GatewayContext, payment: PaymentRow) {
  const manual = payment.captureMethod === "MANUAL";
  const key = { channel: payment.channel, idempotencyKey: payment.id };
  try {
    const outcome = manual
      ? authorizeOutcome((await context.clients.channel.getAuthorization(key)).authorization)
      : chargeOutcome((await context.clients.channel.getCharge(key)).charge);
    if (outcome) await finishPayment(context, payment.id, outcome, transitionActors.reconciler);
  } catch (error) {
    if (ConnectError.from(error).code !== Code.NotFound) throw error;
    const never = `it never received the ${manual ? "authorization" : "charge"}`;
    await finishPayment(
      context,
      payment.id,
      { kind: "not_charged", failure: failure("channel_unavailable", never) },
      transitionActors.reconciler,
    );
  }
}

/** A PENDING refund: what did the channel do? NOT_FOUND means it never received it. */
async function reconcileRefund(context: GatewayContext, refund: RefundRow, channel: string) {
  try {
    const answer = await context.clients.channel.getChannelRefund({
      channel,
      idempotencyKey: refund.id,
    });
    const outcome = refundOutcome(answer.refund);
    if (outcome) await finishRefund(context, refund.id, outcome, transitionActors.reconciler);
  } catch (error) {
    if (ConnectError.from(error).code !== Code.NotFound) throw error;
    await finishRefund(
      context,
      refund.id,
      {
        kind: "not_refunded",
        failure: failure("channel_unavailable", "it never received the refund"),
      },
      transitionActors.reconciler,
    );
  }
}
