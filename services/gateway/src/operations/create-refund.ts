import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type CreateRefundRequest,
  type CreateRefundResponse,
  CreateRefundResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { createId, requestContext, requestFields, rpcErrors } from "@kassa/platform";
import { capturedAmount } from "../db/captured-amount.js";
import type { GatewayDatabase } from "../db/gateway-database.js";
import { paymentRepository } from "../db/payment-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import type { PaymentRow, RefundRow } from "../db/schema.js";
import { transitionActors } from "../db/transition-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { money } from "../money.js";
import { refundMessage } from "../payment-message.js";
import { requestDigest } from "../request-digest.js";
import { persistResult } from "../saga/persist-result.js";
import { finishRefund, type RefundOutcome, refundOutcome } from "../saga/refund-outcome.js";
import { sagaStep } from "../saga/saga-step.js";
import { unsentCallFailure } from "../saga/unsent-call.js";
import { gatewayFields } from "./gateway-fields.js";

/**
 * CreateRefund: validate → in one transaction, load the payment under its lock, check it can
 * give back the amount (SUCCEEDED, and pending + succeeded refunds + this one ≤ what was
 * captured) and persist the intent, the refund PENDING with its amount reserved → call out to
 * the channel (idempotency key = refund id) → persist the result in one transaction. An
 * unknown outcome leaves it PENDING, its amount still reserved, for the reconciler.
 */
export async function createRefund(
  context: GatewayContext,
  request: CreateRefundRequest,
  call: HandlerContext,
): Promise<CreateRefundResponse> {
  const { merchantId } = authenticatedMerchant(call);
  // Every transition this request makes is recorded as its own.
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  const refund = validate(request);
  const intent = await sagaStep(context, "persist", () =>
    context.db.transaction((tx) => reserve(context, tx, merchantId, refund, actor)),
  );
  if (!intent.created) return respond(intent.refund);
  context.metrics.refunds.inc({ status: "PENDING", currency: intent.refund.currency });
  const outcome = await callOut(context, intent.refund, intent.payment);
  if (!outcome) return respond(intent.refund);
  return respond(
    await persistResult(context, intent.refund, () =>
      finishRefund(context, intent.refund.id, outcome, actor),
    ),
  );
}

/** A CreateRefund request, validated. */
interface ValidRefund {
  readonly idempotencyKey: string;
  readonly paymentId: string;
  readonly amount: bigint;
  readonly reason: string;
  /** Tells a replay (same digest) from another request under the same key. */
  readonly digest: string;
}

function validate(request: CreateRefundRequest): ValidRefund {
  const idempotencyKey = gatewayFields.idempotencyKey(request.idempotencyKey);
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const amount = requestFields.amount("amount", request.amount);
  const reason = requestFields.text("reason", request.reason, { max: 500, optional: true });
  return {
    idempotencyKey,
    paymentId,
    amount,
    reason,
    digest: requestDigest({ paymentId, amount, reason }),
  };
}

/**
 * Load, check and persist the intent, under the payment's lock so that racing refunds of one
 * payment are checked one after another against what the others reserved. A replayed key
 * returns its refund as it is now.
 */
async function reserve(
  context: GatewayContext,
  tx: GatewayDatabase,
  merchantId: string,
  request: ValidRefund,
  actor: string,
): Promise<{ created: boolean; refund: RefundRow; payment: PaymentRow }> {
  const payment = await paymentRepository.lock(tx, request.paymentId);
  if (!payment || payment.merchantId !== merchantId) {
    throw rpcErrors.notFound("payment", request.paymentId);
  }
  const replay = await refundRepository.findByKey(tx, merchantId, request.idempotencyKey);
  if (replay) return { refund: sameRequest(replay, request), created: false, payment };
  check(payment, await refundRepository.committedAmount(tx, payment.id), request.amount);
  const refund = await refundRepository.reserve(
    tx,
    {
      id: createId("ref"),
      paymentId: payment.id,
      merchantId,
      idempotencyKey: request.idempotencyKey,
      requestDigest: request.digest,
      amount: request.amount,
      currency: payment.currency,
      reason: request.reason,
      at: context.clock.now(),
    },
    actor,
  );
  // The key was taken by a refund of another payment meanwhile: answer as a replay would.
  if (!refund) {
    const holder = await refundRepository.findByKey(tx, merchantId, request.idempotencyKey);
    if (!holder) throw new Error("refund vanished between conflict and read");
    return { refund: sameRequest(holder, request), created: false, payment };
  }
  return { refund, created: true, payment };
}

/**
 * The payment can give back `amount` on top of what its refunds already took or reserved
 * (`committed`, in its currency): FAILED_PRECONDITION otherwise.
 */
function check(payment: PaymentRow, committed: bigint, amount: bigint): void {
  if (payment.status !== "SUCCEEDED") {
    throw rpcErrors.failedPrecondition(
      `payment ${payment.id} is ${payment.status}; only a SUCCEEDED payment can be refunded`,
    );
  }
  // What was captured, not what was authorized: a partial capture released the rest.
  const captured = capturedAmount(payment);
  const taken = { amount: committed, currency: payment.currency };
  const asked = { amount, currency: payment.currency };
  if (money.exceeds(money.add(taken, asked), captured)) {
    throw rpcErrors.failedPrecondition(
      `amount ${amount} exceeds what is left to refund of payment ${payment.id}: ${money.format(money.subtract(captured, taken))}`,
    );
  }
  // The channel refunds charges only (a capture through the charge it recorded for it). A
  // capture whose channel named no charge still holds its `au_…`: sending that would leave
  // the refund PENDING until the reconciler failed it, so it is refused before anything is
  // reserved or sent.
  if (!payment.channelPaymentId?.startsWith("ch_")) {
    throw rpcErrors.failedPrecondition(
      `payment ${payment.id} has no channel charge to refund; its capture was recorded without one`,
    );
  }
}

/** Asks the channel to refund; undefined when its answer is not known (left PENDING). */
async function callOut(
  context: GatewayContext,
  refund: RefundRow,
  payment: PaymentRow,
): Promise<RefundOutcome | undefined> {
  try {
    const answer = await sagaStep(context, "refund", () =>
      context.clients.channel.refund({
        idempotencyKey: refund.id,
        chargeId: payment.channelPaymentId ?? "",
        ...money.of(refund),
        reason: refund.reason,
      }),
    );
    return refundOutcome(answer.refund);
  } catch (error) {
    const unsent = unsentCallFailure(error);
    return unsent && { kind: "not_refunded", failure: unsent };
  }
}

function sameRequest(refund: RefundRow, request: ValidRefund): RefundRow {
  if (refund.requestDigest !== request.digest) {
    throw rpcErrors.alreadyExists(
      `idempotency_key ${request.idempotencyKey} was already used for a different refund`,
    );
  }
  return refund;
}

function respond(refund: RefundRow): CreateRefundResponse {
  return create(CreateRefundResponseSchema, { refund: refundMessage(refund) });
}
