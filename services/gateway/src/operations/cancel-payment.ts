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

/**
 * CancelPayment: validate → load the payment → check it has taken no money → a PENDING one
 * (nothing sent to the channel) is CANCELLED at once; a REQUIRES_CAPTURE one claims the void
 * (→ CANCELLING, guarded, so of racing cancels and captures exactly one reaches the channel),
 * the channel voids the authorization, then CANCELLED. Either way the order is cancelled
 * through the outbox. A void whose answer did not come is left CANCELLING for the reconciler.
 */
export async function cancelPayment(
  context: GatewayContext,
  request: CancelPaymentRequest,
  call: HandlerContext,
): Promise<CancelPaymentResponse> {
  const { merchantId } = authenticatedMerchant(call);
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  // Validate.
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const reason = requestFields.text("cancellation_reason", request.cancellationReason, {
    max: 500,
    optional: true,
  });

  // Load and check; a lost claim means a racing capture or cancel won: read again.
  let payment = await paymentRepository.find(context.db, merchantId, paymentId);
  if (!payment) throw rpcErrors.notFound("payment", paymentId);
  for (;;) {
    requireCancellable(payment);
    if (payment.status === "CANCELLED" || payment.status === "CANCELLING") {
      return respond(payment);
    }
    if (payment.status === "PENDING") {
      const cancelled = await finishCancel(context, paymentId, actor, reason);
      if (cancelled.status === "CANCELLED") return respond(cancelled);
      payment = cancelled;
      continue;
    }
    // REQUIRES_CAPTURE: persist the intent, then call out.
    const claimed = await paymentRepository.claimCancel(
      context.db,
      paymentId,
      reason,
      context.clock.now(),
      { reason: "cancel requested", actor },
    );
    if (claimed) return respond(await voidAtChannel(context, claimed, actor));
    const current = await paymentRepository.find(context.db, merchantId, paymentId);
    if (!current) throw new Error(`payment ${paymentId} vanished`);
    payment = current;
  }
}

/** Refuses a payment that took money, or whose outcome is not known yet. */
function requireCancellable(payment: PaymentRow): void {
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
