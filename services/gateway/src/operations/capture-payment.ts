import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type CapturePaymentRequest,
  type CapturePaymentResponse,
  CapturePaymentResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { requestContext, requestFields, rpcErrors } from "@kassa/platform";
import { paymentRepository } from "../db/payment-repository.js";
import type { PaymentRow } from "../db/schema.js";
import { transitionActors } from "../db/transition-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { paymentMessage } from "../payment-message.js";
import { captureAtChannel } from "../saga/authorization-outcome.js";
import { gatewayFields } from "./gateway-fields.js";

/**
 * CapturePayment, the capture saga: validate → load the payment → check it is REQUIRES_CAPTURE
 * → claim the one capture (REQUIRES_CAPTURE → CAPTURING, guarded, so of racing captures and
 * cancels exactly one reaches the channel) → capture at the channel → SUCCEEDED (order paid,
 * ledger record of the captured amount) or FAILED. No transaction is held across the call; an
 * answer that did not come leaves the payment CAPTURING for the reconciler.
 */
export async function capturePayment(
  context: GatewayContext,
  request: CapturePaymentRequest,
  call: HandlerContext,
): Promise<CapturePaymentResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  // Validate.
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const idempotencyKey = gatewayFields.idempotencyKey(request.idempotencyKey);
  const requested =
    request.amountToCapture === undefined
      ? undefined
      : requestFields.amount("amount_to_capture", request.amountToCapture);

  // Load the payment; the amount is checked against it.
  const payment = await paymentRepository.find(context.db, merchantId, paymentId);
  if (!payment) throw rpcErrors.notFound("payment", paymentId);
  if (requested !== undefined && requested > payment.amount) {
    throw rpcErrors.invalidArgument(
      "amount_to_capture",
      `must be at most the payment's amount, ${payment.amount} ${payment.currency}`,
    );
  }
  const amount = requested ?? payment.amount;

  // Check the state and persist the intent. Losing the claim means a racing capture or cancel
  // won: the state read again says which.
  const repeat = repeatedCapture(payment, idempotencyKey, amount);
  if (repeat) return respond(repeat);
  const claimed = await paymentRepository.claimCapture(
    context.db,
    paymentId,
    { amount, idempotencyKey },
    context.clock.now(),
    { reason: "capture requested", actor },
  );
  if (!claimed) {
    const current = await paymentRepository.find(context.db, merchantId, paymentId);
    if (!current) throw new Error(`payment ${paymentId} vanished`);
    return respond(repeatedCapture(current, idempotencyKey, amount) ?? current);
  }

  // Call out, then persist what the channel said.
  return respond(await captureAtChannel(context, claimed, actor));
}

/**
 * The payment as it is when this capture was already made (same key, same amount); undefined
 * when it is still to be claimed (REQUIRES_CAPTURE). Anything else is refused: only one
 * capture per payment, and only of an authorized one.
 */
function repeatedCapture(
  payment: PaymentRow,
  idempotencyKey: string,
  amount: bigint,
): PaymentRow | undefined {
  if (payment.captureIdempotencyKey === idempotencyKey) {
    if (payment.captureAmount !== amount) {
      throw rpcErrors.alreadyExists(
        `idempotency_key ${idempotencyKey} was already used to capture ${payment.captureAmount} ${payment.currency}`,
      );
    }
    return payment;
  }
  if (payment.status === "REQUIRES_CAPTURE") return undefined;
  if (payment.captureIdempotencyKey !== null) {
    throw rpcErrors.failedPrecondition(
      `payment ${payment.id} was already captured once; only one capture per payment`,
    );
  }
  if (payment.captureMethod !== "MANUAL") {
    throw rpcErrors.failedPrecondition(
      `payment ${payment.id} is captured automatically; only a capture_method MANUAL payment can be captured`,
    );
  }
  const shown = payment.status === "CANCELLING" ? "being cancelled" : payment.status;
  throw rpcErrors.failedPrecondition(
    `payment ${payment.id} is ${shown}; only a REQUIRES_CAPTURE payment can be captured`,
  );
}

function respond(payment: PaymentRow): CapturePaymentResponse {
  return create(CapturePaymentResponseSchema, { payment: paymentMessage(payment) });
}
