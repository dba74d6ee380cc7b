import { Code, ConnectError } from "@connectrpc/connect";
import { AuthorizationStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { outboxRepository } from "../db/outbox-repository.js";
import { paymentRepository } from "../db/payment-repository.js";
import type { PaymentRow } from "../db/schema.js";
import { channelDecline, type Failure, failure } from "../failure-catalogue.js";
import type { GatewayContext } from "../gateway-context.js";
import { outboxEvents } from "../outbox/outbox-events.js";
import type { NewOutboxEvent } from "../outbox/outbox-payloads.js";
import { announce, type ChargeOutcome, unchanged } from "./payment-outcome.js";
import { persistResult } from "./persist-result.js";
import { sagaStep } from "./saga-step.js";

/** An authorization as the channel answers it, as far as the gateway reads it. */
export interface ChannelAuthorization {
  readonly id: string;
  readonly status: AuthorizationStatus;
  readonly failureCode: string;
  readonly failureMessage: string;
  /** The charge the channel recorded for a capture (`ch_…`); empty until CAPTURED. */
  readonly chargeId: string;
}

/** How a claimed capture ended, as the saga or the reconciler learned it. */
export type CaptureOutcome =
  /** The channel took the claimed amount, as the charge `chargeId` that refunds go through. */
  | { readonly kind: "captured"; readonly chargeId: string }
  /** The channel declined the capture, or the hold lapsed first: nothing was taken. */
  | { readonly kind: "declined"; readonly failure: Failure };

/**
 * What an Authorize (or GetAuthorization) answer means for a PROCESSING manual payment;
 * undefined while the channel has not decided, which leaves it for the reconciler.
 */
export function authorizeOutcome(
  authorization: ChannelAuthorization | undefined,
): ChargeOutcome | undefined {
  if (!authorization) return undefined;
  switch (authorization.status) {
    case AuthorizationStatus.FAILED:
      return {
        kind: "declined",
        chargeId: authorization.id,
        failure: channelDecline(authorization.failureCode, authorization.failureMessage),
      };
    case AuthorizationStatus.EXPIRED:
      // Held and lapsed before the gateway learned of it: nothing can be taken any more.
      return {
        kind: "declined",
        chargeId: authorization.id,
        failure: failure("authorization_expired"),
      };
    case AuthorizationStatus.PENDING:
    case AuthorizationStatus.UNSPECIFIED:
      return undefined;
    default:
      // AUTHORIZED, or already moved on (captured, voided): the hold was made.
      return { kind: "authorized", authorizationId: authorization.id };
  }
}

/**
 * What a capture (or GetAuthorization) answer means for a CAPTURING payment; undefined while
 * it is not known, or while the authorization is still AUTHORIZED (the capture has not reached
 * the channel yet, so the reconciler sends it again).
 */
export function captureOutcome(
  authorization: ChannelAuthorization | undefined,
): CaptureOutcome | undefined {
  switch (authorization?.status) {
    case AuthorizationStatus.CAPTURED:
      return { kind: "captured", chargeId: authorization.chargeId };
    case AuthorizationStatus.FAILED:
      return {
        kind: "declined",
        failure: channelDecline(authorization.failureCode, authorization.failureMessage),
      };
    case AuthorizationStatus.EXPIRED:
      return { kind: "declined", failure: failure("authorization_expired") };
    default:
      return undefined;
  }
}

/** Whether a void (or GetAuthorization) answer means the hold is released: voided or lapsed. */
export function isReleased(authorization: ChannelAuthorization | undefined): boolean {
  return (
    authorization?.status === AuthorizationStatus.VOIDED ||
    authorization?.status === AuthorizationStatus.EXPIRED
  );
}

/**
 * Sends the claimed capture of a CAPTURING payment to the channel and finishes the payment
 * with the answer. The capture is idempotent at the channel (same authorization, same amount),
 * so the saga and the reconciler may both send it. An answer that did not come (a deadline, a
 * lost connection, an open breaker) leaves the payment CAPTURING for the reconciler.
 */
export async function captureAtChannel(
  context: GatewayContext,
  payment: PaymentRow,
  actor: string,
): Promise<PaymentRow> {
  let outcome: CaptureOutcome | undefined;
  try {
    const { authorization } = await sagaStep(context, "capture", () =>
      context.clients.channel.captureAuthorization({
        authorizationId: payment.channelPaymentId ?? "",
        ...(payment.captureAmount !== null && { amountToCapture: payment.captureAmount }),
      }),
    );
    outcome = captureOutcome(authorization);
  } catch (error) {
    context.logger.warn(
      { payment_id: payment.id, err: error },
      "capture answer unknown; left for the reconciler",
    );
  }
  if (!outcome) return payment;
  return persistResult(context, payment, () => finishCapture(context, payment.id, outcome, actor));
}

/**
 * Sends the void of a CANCELLING payment's authorization to the channel and cancels the
 * payment once the hold is released. FAILED_PRECONDITION means the authorization is no longer
 * AUTHORIZED (it lapsed, most likely): the reconciler reads which and finishes. An answer
 * that did not come leaves the payment CANCELLING for the reconciler.
 */
export async function voidAtChannel(
  context: GatewayContext,
  payment: PaymentRow,
  actor: string,
): Promise<PaymentRow> {
  let released = false;
  try {
    const { authorization } = await sagaStep(context, "void", () =>
      context.clients.channel.voidAuthorization({
        authorizationId: payment.channelPaymentId ?? "",
      }),
    );
    released = isReleased(authorization);
  } catch (error) {
    const code = ConnectError.from(error).code;
    context.logger.warn(
      { payment_id: payment.id, code: Code[code], err: error },
      "void answer unknown; left for the reconciler",
    );
  }
  if (!released) return payment;
  return persistResult(context, payment, () => finishCancel(context, payment.id, actor));
}

/**
 * Finishes a CAPTURING payment, in one transaction with the events that follow: captured →
 * SUCCEEDED, order paid, ledger record of the captured amount; declined → FAILED, order
 * cancelled. A payment no longer CAPTURING (finished by another replica) is returned as is.
 */
export async function finishCapture(
  context: Pick<GatewayContext, "db" | "clock" | "metrics" | "outbox" | "webhooks">,
  paymentId: string,
  outcome: CaptureOutcome,
  actor: string,
): Promise<PaymentRow> {
  const at = context.clock.now();
  const cause = {
    reason: outcome.kind === "captured" ? "capture succeeded" : outcome.failure.code,
    actor,
  };
  const { payment, changed, delivering } = await context.db.transaction(async (tx) => {
    // Both transitions apply only from CAPTURING, under the row's lock: a capture finished
    // meanwhile is left as it is and read back below.
    const events: NewOutboxEvent[] = [];
    let finished: PaymentRow | undefined;
    if (outcome.kind === "captured") {
      finished = await paymentRepository.captured(tx, paymentId, outcome.chargeId, at, cause);
      if (finished)
        events.push(outboxEvents.orderPaid(finished), outboxEvents.paymentRecorded(finished, at));
    } else {
      finished = await paymentRepository.fail(
        tx,
        paymentId,
        ["CAPTURING"],
        outcome.failure,
        at,
        cause,
      );
      if (finished?.orderId)
        events.push(
          outboxEvents.orderCancelled(finished, `capture failed: ${outcome.failure.code}`),
        );
    }
    if (!finished) return unchanged(tx, paymentId);
    const delivering = await outboxRepository.enqueue(tx, events, at, {
      heldForMs: context.outbox.holdMs,
    });
    return { payment: finished, changed: true, delivering };
  });
  if (changed) announce(context, payment, delivering);
  return payment;
}

/**
 * Cancels a PENDING payment (nothing was sent) or a CANCELLING one (its hold is released), in
 * one transaction with the order's cancellation. `reason` is used for a PENDING payment; a
 * CANCELLING one keeps the reason its cancel was claimed with. Any other status is returned
 * as is.
 */
export async function finishCancel(
  context: Pick<GatewayContext, "db" | "clock" | "metrics" | "outbox" | "webhooks">,
  paymentId: string,
  actor: string,
  reason = "",
): Promise<PaymentRow> {
  const at = context.clock.now();
  const { payment, changed, delivering } = await context.db.transaction(async (tx) => {
    const current = await paymentRepository.lock(tx, paymentId);
    if (!current) throw new Error(`payment ${paymentId} vanished`);
    if (current.status !== "PENDING" && current.status !== "CANCELLING") {
      return { payment: current, changed: false, delivering: [] };
    }
    const why = current.status === "CANCELLING" ? (current.cancellationReason ?? "") : reason;
    const cancelled = await paymentRepository.cancel(tx, paymentId, why, at, {
      reason: current.status === "CANCELLING" ? "authorization voided" : "cancelled before sending",
      actor,
    });
    if (!cancelled) return { payment: current, changed: false, delivering: [] };
    const delivering = cancelled.orderId
      ? await outboxRepository.enqueue(
          tx,
          [outboxEvents.orderCancelled(cancelled, `payment cancelled: ${why || "requested"}`)],
          at,
          { heldForMs: context.outbox.holdMs },
        )
      : [];
    return { payment: cancelled, changed: true, delivering };
  });
  if (changed) announce(context, payment, delivering);
  return payment;
}
