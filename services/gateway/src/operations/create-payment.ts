import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  type CreatePaymentRequest,
  type CreatePaymentResponse,
  CreatePaymentResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { RiskDecision } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import {
  createId,
  isBudgetSpentBeforeCall,
  isCallerBudgetError,
  isCircuitOpenError,
  requestContext,
  requestFields,
  rpcErrors,
  Secret,
} from "@kassa/platform";
import { outboxRepository } from "../db/outbox-repository.js";
import { paymentRepository } from "../db/payment-repository.js";
import type { PaymentRow } from "../db/schema.js";
import { transitionActors } from "../db/transition-repository.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import { outboxEvents } from "../outbox/outbox-events.js";
import { paymentMessage } from "../payment-message.js";
import { requestDigest } from "../request-digest.js";
import { authorizeOutcome } from "../saga/authorization-outcome.js";
import { type ChargeOutcome, chargeOutcome, finishPayment } from "../saga/payment-outcome.js";
import { sagaStep } from "../saga/saga-step.js";
import { gatewayFields } from "./gateway-fields.js";

/**
 * CreatePayment, the payment saga: validate → record PENDING (idempotent on the key and the
 * order number) → risk → order → PROCESSING → charge (idempotency key = payment id) → outcome.
 * A manual-capture payment is only authorized (same key) and stops at REQUIRES_CAPTURE.
 * No transaction is held across a remote call. An outcome the channel did not give in time
 * leaves the payment PROCESSING for the reconciler; nothing sent means it can fail at once.
 */
export async function createPayment(
  context: GatewayContext,
  request: CreatePaymentRequest,
  call: HandlerContext,
): Promise<CreatePaymentResponse> {
  const { merchantId } = authenticatedMerchant(call);
  // Every transition this request makes is recorded as its own.
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  // Validate, before anything is written.
  const idempotencyKey = gatewayFields.idempotencyKey(request.idempotencyKey);
  const merchantOrderNo = requestFields.text("merchant_order_no", request.merchantOrderNo, {
    max: 64,
  });
  const amount = requestFields.amount("amount", request.amount);
  const currency = requestFields.currency("currency", request.currency);
  const channel =
    request.channel === ""
      ? "sandbox"
      : requestFields.text("channel", request.channel, { max: 64 });
  // The payment method and the customer's data travel masked, revealed only into the request
  // digest and the calls to risk and the channel.
  const paymentMethod = new Secret(
    requestFields.text("payment_method", request.paymentMethod),
    "payment method",
  );
  const description = requestFields.text("description", request.description, {
    max: 1000,
    optional: true,
  });
  const customer = new Secret(
    {
      email: requestFields.email("customer.email", request.customer?.email ?? "", {
        optional: true,
      }),
      ip: requestFields.ip("customer.ip", request.customer?.ip ?? "", { optional: true }),
      deviceId: requestFields.text("customer.device_id", request.customer?.deviceId ?? "", {
        max: 128,
        optional: true,
      }),
    },
    "customer",
  );
  const metadata = gatewayFields.metadata(request.metadata);
  const captureMethod = gatewayFields.captureMethod(request.captureMethod);
  await context.channels.check(channel, currency);

  // Persist the intent; a replay of the same request returns the payment as it is now.
  const digest = requestDigest({
    merchantOrderNo,
    amount,
    currency,
    channel,
    paymentMethod: paymentMethod.reveal(),
    description,
    customer: customer.reveal(),
    metadata,
    // Only when manual, so the digests of automatic payments made before it existed still match.
    ...(captureMethod === "MANUAL" && { captureMethod }),
  });
  const attempt = await sagaStep(context, "persist", () =>
    paymentRepository.createIfAbsent(
      context.db,
      {
        id: createId("pay"),
        merchantId,
        idempotencyKey,
        requestDigest: digest,
        merchantOrderNo,
        amount,
        currency,
        channel,
        description,
        metadata,
        captureMethod,
        at: context.clock.now(),
      },
      actor,
    ),
  );
  if (!attempt.created) {
    if (attempt.on === "merchant_order_no") {
      throw rpcErrors.alreadyExists(
        `merchant_order_no ${merchantOrderNo} already has payment ${attempt.payment.id}`,
      );
    }
    if (attempt.payment.requestDigest !== digest) {
      throw rpcErrors.alreadyExists(
        `idempotency_key ${idempotencyKey} was already used for a different payment`,
      );
    }
    return respond(attempt.payment);
  }
  const payment = attempt.payment;
  context.metrics.payments.inc({ status: "PENDING", channel, currency });

  // Risk: a rejection ends the payment before an order exists.
  let riskScore: number;
  try {
    const risk = await sagaStep(context, "risk", () =>
      context.clients.risk.assess({
        merchantId,
        amount,
        currency,
        customer: customer.reveal(),
        paymentMethod: paymentMethod.reveal(),
        paymentId: payment.id,
      }),
    );
    riskScore = risk.score;
    if (risk.decision === RiskDecision.REJECT) {
      return respond(
        await finishPayment(
          context,
          payment.id,
          {
            kind: "not_charged",
            code: "risk_rejected",
            message: `risk assessment rejected the payment (${risk.reasons.join(", ")})`,
            riskScore,
          },
          actor,
        ),
      );
    }
  } catch (error) {
    return respond(await failBeforeCharge(context, payment.id, "risk", error, actor));
  }

  // Order.
  let orderId: string;
  try {
    const { order } = await sagaStep(context, "order", () =>
      context.clients.order.createOrder({
        merchantId,
        merchantOrderNo,
        amount,
        currency,
        description,
      }),
    );
    orderId = order?.id ?? "";
  } catch (error) {
    return respond(await failBeforeCharge(context, payment.id, "order", error, actor));
  }

  // From here the channel may charge: PROCESSING first, so a crash leaves it to the reconciler.
  const processing = await paymentRepository.markProcessing(
    context.db,
    payment.id,
    {
      orderId,
      riskScore,
      at: context.clock.now(),
    },
    {
      reason: captureMethod === "MANUAL" ? "order created; authorizing" : "order created; charging",
      actor,
    },
  );
  if (!processing) return respond(await abandoned(context, merchantId, payment.id, orderId));
  context.metrics.payments.inc({ status: "PROCESSING", channel, currency });

  // Call out to the channel (a charge, or only a hold for manual capture), then persist what
  // it said.
  const order = {
    idempotencyKey: payment.id,
    channel,
    merchantId,
    amount,
    currency,
    paymentMethod: paymentMethod.reveal(),
    description,
  };
  let outcome: ChargeOutcome | undefined;
  try {
    if (captureMethod === "MANUAL") {
      const { authorization } = await sagaStep(context, "authorize", () =>
        context.clients.channel.authorize(order),
      );
      outcome = authorizeOutcome(authorization);
    } else {
      const { charge } = await sagaStep(context, "charge", () =>
        context.clients.channel.charge(order),
      );
      outcome = chargeOutcome(charge);
    }
  } catch (error) {
    outcome = unsentChargeOutcome(error);
  }
  if (!outcome) return respond(processing);
  return respond(
    await sagaStep(context, "finish", () => finishPayment(context, payment.id, outcome, actor)),
  );
}

/**
 * A failed Charge call: only an open breaker, a caller's deadline spent before the charge was
 * sent (or a refusal of the request itself) proves nothing reached the channel; anything else
 * (a deadline, even the caller's cutting the charge in flight, a connection lost after
 * sending, an internal error) may have charged, so the payment stays PROCESSING and the
 * reconciler asks.
 */
function unsentChargeOutcome(error: unknown): ChargeOutcome | undefined {
  if (isCircuitOpenError(error)) {
    return {
      kind: "not_charged",
      code: "channel_unavailable",
      message: "the channel was unreachable; nothing was charged",
    };
  }
  if (isBudgetSpentBeforeCall(error)) {
    return {
      kind: "not_charged",
      code: "deadline_exceeded",
      message: "the caller's deadline ran out before the charge was sent; nothing was charged",
    };
  }
  const cause = ConnectError.from(error);
  if (cause.code === Code.InvalidArgument || cause.code === Code.FailedPrecondition) {
    return { kind: "not_charged", code: "invalid_request", message: cause.rawMessage };
  }
  return undefined;
}

/**
 * A step before the charge failed: nothing was sent to the channel, so the payment fails now.
 * (The saga deliberately ignores the caller hanging up: a started payment is always finished.)
 */
async function failBeforeCharge(
  context: GatewayContext,
  paymentId: string,
  step: string,
  error: unknown,
  actor: string,
) {
  const cause = ConnectError.from(error);
  context.logger.warn(
    { payment_id: paymentId, step, code: Code[cause.code] },
    "payment failed before the charge",
  );
  if (isCallerBudgetError(error)) {
    return finishPayment(
      context,
      paymentId,
      {
        kind: "not_charged",
        code: "deadline_exceeded",
        message: `the caller's deadline ran out at the ${step} step; nothing was charged`,
      },
      actor,
    );
  }
  const refused = cause.code === Code.InvalidArgument || cause.code === Code.AlreadyExists;
  return finishPayment(
    context,
    paymentId,
    {
      kind: "not_charged",
      code: refused ? "invalid_request" : "service_unavailable",
      message: refused
        ? `the ${step} service refused the payment: ${cause.rawMessage}`
        : `the ${step} service could not be reached; nothing was charged`,
    },
    actor,
  );
}

/**
 * The payment left PENDING before the charge (CancelPayment, or the reconciler failing it, got
 * there first): nothing will be sent, so the order this saga just created is cancelled too.
 */
async function abandoned(
  context: GatewayContext,
  merchantId: string,
  paymentId: string,
  orderId: string,
): Promise<PaymentRow> {
  const payment = await paymentRepository.find(context.db, merchantId, paymentId);
  if (!payment) throw new Error(`payment ${paymentId} vanished`);
  if (orderId && payment.orderId === null) {
    const at = context.clock.now();
    await outboxRepository.enqueue(
      context.db,
      [outboxEvents.orderCancelled({ ...payment, orderId }, `payment ${payment.status}`)],
      at,
    );
    context.wakeOutbox();
  }
  return payment;
}

function respond(payment: PaymentRow): CreatePaymentResponse {
  return create(CreatePaymentResponseSchema, { payment: paymentMessage(payment) });
}
