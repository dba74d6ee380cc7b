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
import { type Money, money } from "../money.js";
import { paymentMessage } from "../payment-message.js";
import { captureAtChannel } from "../saga/authorization-outcome.js";
import { gatewayFields } from "./gateway-fields.js";
import { loadPayment } from "./load-payment.js";

/**
 * CapturePayment, the capture saga: validate → load the payment → check it is REQUIRES_CAPTURE
 * and the amount within what was authorized → persist the intent by claiming the one capture
 * (REQUIRES_CAPTURE → CAPTURING, guarded, so of racing captures and cancels exactly one
 * reaches the channel) → call out: capture at the channel → persist the result: SUCCEEDED
 * (order paid, ledger record of the captured amount) or FAILED. No transaction is held across
 * the call; an answer that did not come leaves the payment CAPTURING for the reconciler.
 */
export async function capturePayment(
  context: GatewayContext,
  request: CapturePaymentRequest,
  call: HandlerContext,
): Promise<CapturePaymentResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  const capture = validate(request);
  const payment = await loadPayment(context, merchantId, capture.paymentId);
  const amount = amountToCapture(payment, capture.amount);
  const repeat = repeatedCapture(payment, capture.idempotencyKey, amount);
  if (repeat) return respond(repeat);
  const claimed = await claim(context, payment, capture.idempotencyKey, amount, actor);
  if (!claimed.won) return respond(claimed.payment);
  // Call out, then persist what the channel said.
  return respond(await captureAtChannel(context, claimed.payment, actor));
}

/** A CapturePayment request, validated; no amount means the whole authorized amount. */
interface ValidCapture {
  readonly paymentId: string;
  readonly idempotencyKey: string;
  readonly amount: bigint | undefined;
}

function validate(request: CapturePaymentRequest): ValidCapture {
  return {
    paymentId: requestFields.id("payment_id", request.paymentId, "pay"),
    idempotencyKey: gatewayFields.idempotencyKey(request.idempotencyKey),
    amount:
      request.amountToCapture === undefined
        ? undefined
        : requestFields.amount("amount_to_capture", request.amountToCapture),
  };
}

/** The amount to capture, in the payment's currency, at most what was authorized. */
function amountToCapture(payment: PaymentRow, requested: bigint | undefined): Money {
  const authorized = money.of(payment);
  if (requested === undefined) return authorized;
  const amount = { amount: requested, currency: payment.currency };
  if (money.exceeds(amount, authorized)) {
    throw rpcErrors.invalidArgument(
      "amount_to_capture",
      `must be at most the payment's amount, ${money.format(authorized)}`,
    );
  }
  return amount;
}

/**
 * Claims the capture. Losing the claim means a racing capture or cancel won: the payment read
 * again says which, and is answered as a repeat of this capture or refused.
 */
async function claim(
  context: GatewayContext,
  payment: PaymentRow,
  idempotencyKey: string,
  amount: Money,
  actor: string,
): Promise<{ won: boolean; payment: PaymentRow }> {
  const claimed = await paymentRepository.claimCapture(
    context.db,
    payment.id,
    { amount: amount.amount, idempotencyKey },
    context.clock.now(),
    { reason: "capture requested", actor },
  );
  if (claimed) return { won: true, payment: claimed };
  const current = await loadPayment(context, payment.merchantId, payment.id);
  return { won: false, payment: repeatedCapture(current, idempotencyKey, amount) ?? current };
}

/**
 * The check of the payment's state: the payment as it is when this capture was already made
 * (same key, same amount); undefined when it is still to be claimed (REQUIRES_CAPTURE).
 * Anything else is refused: only one capture per payment, and only of an authorized one.
 */
function repeatedCapture(
  payment: PaymentRow,
  idempotencyKey: string,
  amount: Money,
): PaymentRow | undefined {
  if (payment.captureIdempotencyKey === idempotencyKey) {
    if (payment.captureAmount !== amount.amount) {
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
