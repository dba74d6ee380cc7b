import { create } from "@bufbuild/protobuf";
import { ConnectError, type HandlerContext } from "@connectrpc/connect";
import { ChannelRefundStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import {
  type CreateRefundRequest,
  type CreateRefundResponse,
  CreateRefundResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import {
  createId,
  isBudgetSpentBeforeCall,
  isCircuitOpenError,
  requestContext,
  requestFields,
  rpcErrors,
} from "@kassa/platform";
import { capturedAmount } from "../db/captured-amount.js";
import { paymentRepository } from "../db/payment-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import type { RefundRow } from "../db/schema.js";
import { transitionActors } from "../db/transition-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { refundMessage } from "../payment-message.js";
import { requestDigest } from "../request-digest.js";
import { finishRefund, type RefundOutcome } from "../saga/refund-outcome.js";
import { sagaStep } from "../saga/saga-step.js";
import { gatewayFields } from "./gateway-fields.js";

/**
 * CreateRefund: reserves the amount on the locked payment (SUCCEEDED, and pending + succeeded
 * refunds + this one ≤ its amount) and records the refund PENDING in one transaction; then asks
 * the channel (idempotency key = refund id); then finishes it in one transaction. An unknown
 * outcome leaves it PENDING, its amount still reserved, for the reconciler.
 */
export async function createRefund(
  context: GatewayContext,
  request: CreateRefundRequest,
  call: HandlerContext,
): Promise<CreateRefundResponse> {
  const { merchantId } = authenticatedMerchant(call);
  // Every transition this request makes is recorded as its own.
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  // Validate.
  const idempotencyKey = gatewayFields.idempotencyKey(request.idempotencyKey);
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const amount = requestFields.amount("amount", request.amount);
  const reason = requestFields.text("reason", request.reason, { max: 500, optional: true });
  const digest = requestDigest({ paymentId, amount, reason });

  // Load and check under the payment's lock, then persist the intent.
  const reserved = await sagaStep(context, "persist", () =>
    context.db.transaction(async (tx) => {
      const payment = await paymentRepository.lock(tx, paymentId);
      if (!payment || payment.merchantId !== merchantId)
        throw rpcErrors.notFound("payment", paymentId);
      const replay = await refundRepository.findByKey(tx, merchantId, idempotencyKey);
      if (replay)
        return { refund: sameRequest(replay, digest, idempotencyKey), created: false, payment };
      if (payment.status !== "SUCCEEDED") {
        throw rpcErrors.failedPrecondition(
          `payment ${paymentId} is ${payment.status}; only a SUCCEEDED payment can be refunded`,
        );
      }
      const committed = await refundRepository.committedAmount(tx, paymentId);
      // What was captured, not what was authorized: a partial capture released the rest.
      const captured = capturedAmount(payment);
      if (committed + amount > captured) {
        throw rpcErrors.failedPrecondition(
          `amount ${amount} exceeds what is left to refund of payment ${paymentId}: ${captured - committed} ${payment.currency}`,
        );
      }
      // The channel refunds charges only (a capture through the charge it recorded for it). A
      // capture whose channel named no charge still holds its `au_…`: sending that would leave
      // the refund PENDING until the reconciler failed it, so it is refused before anything is
      // reserved or sent.
      if (!payment.channelPaymentId?.startsWith("ch_")) {
        throw rpcErrors.failedPrecondition(
          `payment ${paymentId} has no channel charge to refund; its capture was recorded without one`,
        );
      }
      const refund = await refundRepository.reserve(
        tx,
        {
          id: createId("ref"),
          paymentId,
          merchantId,
          idempotencyKey,
          requestDigest: digest,
          amount,
          currency: payment.currency,
          reason,
          at: context.clock.now(),
        },
        actor,
      );
      // The key was taken by a refund of another payment meanwhile: answer as a replay would.
      if (!refund) {
        const holder = await refundRepository.findByKey(tx, merchantId, idempotencyKey);
        if (!holder) throw new Error("refund vanished between conflict and read");
        return { refund: sameRequest(holder, digest, idempotencyKey), created: false, payment };
      }
      return { refund, created: true, payment };
    }),
  );
  if (!reserved.created) return respond(reserved.refund);
  const { refund, payment } = reserved;
  context.metrics.refunds.inc({ status: "PENDING", currency: refund.currency });

  // Call out to the channel, then persist what it said.
  let outcome: RefundOutcome | undefined;
  try {
    const answer = await sagaStep(context, "refund", () =>
      context.clients.channel.refund({
        idempotencyKey: refund.id,
        chargeId: payment.channelPaymentId ?? "",
        amount,
        currency: refund.currency,
        reason,
      }),
    );
    const channelRefund = answer.refund;
    if (channelRefund?.status === ChannelRefundStatus.SUCCEEDED) {
      outcome = { kind: "refunded", channelRefundId: channelRefund.id };
    } else if (channelRefund?.status === ChannelRefundStatus.FAILED) {
      outcome = {
        kind: "not_refunded",
        code: channelRefund.failureCode,
        message: channelRefund.failureMessage,
        channelRefundId: channelRefund.id,
      };
    }
  } catch (error) {
    if (isCircuitOpenError(error)) {
      outcome = {
        kind: "not_refunded",
        code: "channel_unavailable",
        message: ConnectError.from(error).rawMessage,
      };
    } else if (isBudgetSpentBeforeCall(error)) {
      outcome = {
        kind: "not_refunded",
        code: "deadline_exceeded",
        message: "the caller's deadline ran out before the refund was sent; nothing was refunded",
      };
    }
  }
  if (!outcome) return respond(refund);
  try {
    return respond(
      await sagaStep(context, "finish", () => finishRefund(context, refund.id, outcome, actor)),
    );
  } catch (error) {
    // The channel answered but the write failed: the refund stays PENDING for the reconciler.
    context.logger.error(
      { err: error, refund_id: refund.id },
      "refund outcome not recorded; reconciler will",
    );
    return respond(refund);
  }
}

function sameRequest(refund: RefundRow, digest: string, idempotencyKey: string): RefundRow {
  if (refund.requestDigest !== digest) {
    throw rpcErrors.alreadyExists(
      `idempotency_key ${idempotencyKey} was already used for a different refund`,
    );
  }
  return refund;
}

function respond(refund: RefundRow): CreateRefundResponse {
  return create(CreateRefundResponseSchema, { refund: refundMessage(refund) });
}
