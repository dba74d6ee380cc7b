import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type CancelPaymentRequest,
  type CancelPaymentResponse,
  CancelPaymentResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { requestContext, requestFields, rpcErrors } from "@kassa/platform";
import { paymentRepository } from "../db/payment-repository.js";
import type { PaymentRow } from "../db/schema.js";
import { transitionActors } from "../db/transition-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { paymentMessage } from "../payment-message.js";
import { finishCancel, voidAtChannel } from "../saga/authorization-outcome.js";
import { loadPayment } from "./load-payment.js";

/**
 * CancelPayment: validate → load the payment → check it has taken no money → a PENDING one
 * (nothing sent to the channel) is CANCELLED at once; a REQUIRES_CAPTURE one persists the
 * intent by claiming the void (→ CANCELLING, guarded, so of racing cancels and captures
 * exactly one reaches the channel) → call out: the channel voids the authorization → persist
 * the result, CANCELLED. Either way the order is cancelled through the outbox. A void whose
 * answer did not come is left CANCELLING for the reconciler.
 */
export async function cancelPayment(
  context: GatewayContext,
  request: CancelPaymentRequest,
  call: HandlerContext,
): Promise<CancelPaymentResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  const cancel = validate(request);
  let payment = await loadPayment(context, merchantId, cancel.paymentId);
  // A lost claim means a racing capture or cancel won: load again and check again.
  for (;;) {
    check(payment);
    if (payment.status === "CANCELLED" || payment.status === "CANCELLING") {
      return respond(payment);
    }
    if (payment.status === "PENDING") {
      // Nothing was sent: the intent and the result are one write.
      const cancelled = await finishCancel(context, payment.id, actor, cancel.reason);
      if (cancelled.status === "CANCELLED") return respond(cancelled);
      payment = cancelled;
      continue;
    }
    const claimed = await paymentRepository.claimCancel(
      context.db,
      payment.id,
      cancel.reason,
      context.clock.now(),
      { reason: "cancel requested", actor },
    );
    if (claimed) return respond(await voidAtChannel(context, claimed, actor));
    payment = await loadPayment(context, merchantId, payment.id);
  }
}

/** A CancelPayment request, validated. */
interface ValidCancel {
  readonly paymentId: string;
  readonly reason: string;
}

function validate(request: CancelPaymentRequest): ValidCancel {
  return {
    paymentId: requestFields.id("payment_id", request.paymentId, "pay"),
    reason: requestFields.text("cancellation_reason", request.cancellationReason, {
      max: 500,
      optional: true,
    }),
  };
}

/** Refuses a payment that took money, or whose outcome is not known yet. */
function check(payment: PaymentRow): void {
  switch (payment.status) {
    case "PENDING":
    case "REQUIRES_CAPTURE":
    case "CANCELLING":
    case "CANCELLED":
      return;
    case "SUCCEEDED":
      throw rpcErrors.failedPrecondition(
        `payment ${payment.id} is SUCCEEDED: its money was taken, so it cannot be cancelled; refund it with CreateRefund`,
      );
    case "PROCESSING":
      throw rpcErrors.failedPrecondition(
        `payment ${payment.id} is PROCESSING: its outcome at the channel is not known yet; cancel it once it is REQUIRES_CAPTURE`,
      );
    case "CAPTURING":
      throw rpcErrors.failedPrecondition(
        `payment ${payment.id} is being captured; it cannot be cancelled`,
      );
    case "FAILED":
      throw rpcErrors.failedPrecondition(
        `payment ${payment.id} is FAILED; nothing is left to cancel`,
      );
  }
}

function respond(payment: PaymentRow): CancelPaymentResponse {
  return create(CancelPaymentResponseSchema, { payment: paymentMessage(payment) });
}
