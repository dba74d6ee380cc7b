import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type CreatePaymentRequest,
  type CreatePaymentResponse,
  CreatePaymentResponseSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { RiskDecision } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId, requestContext, requestFields, rpcErrors, Secret } from "@kassa/platform";
import { outboxRepository } from "../db/outbox-repository.js";
import { paymentRepository } from "../db/payment-repository.js";
import type { PaymentRow } from "../db/schema.js";
import { transitionActors } from "../db/transition-repository.js";
import { failure } from "../failure-catalogue.js";
import type { GatewayContext } from "../gateway-context.js";
import { authenticatedMerchant } from "../merchant-authentication.js";
import type { Money } from "../money.js";
import { outboxEvents } from "../outbox/outbox-events.js";
import { paymentMessage } from "../payment-message.js";
import { requestDigest } from "../request-digest.js";
import { authorizeOutcome } from "../saga/authorization-outcome.js";
import { type ChargeOutcome, chargeOutcome, finishPayment } from "../saga/payment-outcome.js";
import { persistResult } from "../saga/persist-result.js";
import { sagaStep } from "../saga/saga-step.js";
import { failureBeforeCharge, unsentCallFailure } from "../saga/unsent-call.js";
import { gatewayFields } from "./gateway-fields.js";

/**
 * CreatePayment, the payment saga: validate → check the channel takes the currency → persist
 * the intent, PENDING (idempotent on the key and the order number) → call out: risk → order →
 * PROCESSING → charge (idempotency key = payment id) → persist the result. A manual-capture
 * payment is only authorized (same key) and stops at REQUIRES_CAPTURE. No transaction is held
 * across a remote call. An outcome the channel did not give in time leaves the payment
 * PROCESSING for the reconciler; nothing sent means it can fail at once.
 */
export async function createPayment(
  context: GatewayContext,
  request: CreatePaymentRequest,
  call: HandlerContext,
): Promise<CreatePaymentResponse> {
  const { merchantId } = authenticatedMerchant(call);
  // Every transition this request makes is recorded as its own.
  const actor = transitionActors.request(requestContext(call, context.logger).requestId);

  const payment = validate(request);
  await check(context, payment);
  const intent = await persistIntent(context, merchantId, payment, actor);
  if (!intent.created) return respond(intent.payment);
  const result = await callOut(context, intent.payment, payment, actor);
  return respond(await persistPaymentResult(context, result, actor));
}

/** A CreatePayment request, validated. */
interface ValidPayment {
  readonly idempotencyKey: string;
  readonly merchantOrderNo: string;
  readonly price: Money;
  readonly channel: string;
  /** Masked, revealed only into the request digest and the calls to risk and the channel. */
  readonly paymentMethod: Secret;
  readonly description: string;
  readonly customer: Secret<{ email: string; ip: string; deviceId: string }>;
  readonly metadata: Record<string, string>;
  readonly captureMethod: "AUTOMATIC" | "MANUAL";
}

/** Every field checked, before anything is written; INVALID_ARGUMENT names the first bad one. */
function validate(request: CreatePaymentRequest): ValidPayment {
  return {
    idempotencyKey: gatewayFields.idempotencyKey(request.idempotencyKey),
    merchantOrderNo: requestFields.text("merchant_order_no", request.merchantOrderNo, { max: 64 }),
    price: {
      amount: requestFields.amount("amount", request.amount),
      currency: requestFields.currency("currency", request.currency),
    },
    channel:
      request.channel === ""
        ? "sandbox"
        : requestFields.text("channel", request.channel, { max: 64 }),
    paymentMethod: new Secret(
      requestFields.text("payment_method", request.paymentMethod),
      "payment method",
    ),
    description: requestFields.text("description", request.description, {
      max: 1000,
      optional: true,
    }),
    customer: new Secret(
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
    ),
    metadata: gatewayFields.metadata(request.metadata),
    captureMethod: gatewayFields.captureMethod(request.captureMethod),
  };
}

/** The channel exists and takes the currency (INVALID_ARGUMENT otherwise). */
async function check(context: GatewayContext, payment: ValidPayment): Promise<void> {
  await context.channels.check(payment.channel, payment.price.currency);
}

/**
 * Records the payment PENDING; loading a payment already made under the key or the order
 * number is the same statement (insert, or return the holder), so concurrent duplicates end in
 * one payment. A replay of the same request returns that payment as it is now.
 */
async function persistIntent(
  context: GatewayContext,
  merchantId: string,
  payment: ValidPayment,
  actor: string,
): Promise<{ created: boolean; payment: PaymentRow }> {
  const digest = requestDigest({
    merchantOrderNo: payment.merchantOrderNo,
    amount: payment.price.amount,
    currency: payment.price.currency,
    channel: payment.channel,
    paymentMethod: payment.paymentMethod.reveal(),
    description: payment.description,
    customer: payment.customer.reveal(),
    metadata: payment.metadata,
    // Only when manual, so the digests of automatic payments made before it existed still match.
    ...(payment.captureMethod === "MANUAL" && { captureMethod: payment.captureMethod }),
  });
  const attempt = await sagaStep(context, "persist", () =>
    paymentRepository.createIfAbsent(
      context.db,
      {
        id: createId("pay"),
        merchantId,
        idempotencyKey: payment.idempotencyKey,
        requestDigest: digest,
        merchantOrderNo: payment.merchantOrderNo,
        ...payment.price,
        channel: payment.channel,
        description: payment.description,
        metadata: payment.metadata,
        captureMethod: payment.captureMethod,
        at: context.clock.now(),
      },
      actor,
    ),
  );
  if (attempt.created) {
    const { channel, currency } = attempt.payment;
    context.metrics.payments.inc({ status: "PENDING", channel, currency });
    return attempt;
  }
  if (attempt.on === "merchant_order_no") {
    throw rpcErrors.alreadyExists(
      `merchant_order_no ${payment.merchantOrderNo} already has payment ${attempt.payment.id}`,
    );
  }
  if (attempt.payment.requestDigest !== digest) {
    throw rpcErrors.alreadyExists(
      `idempotency_key ${payment.idempotencyKey} was already used for a different payment`,
    );
  }
  return attempt;
}

/**
 * What calling out ended with: the payment as last recorded (PENDING, or PROCESSING once the
 * channel may charge) and the outcome to persist; no outcome leaves it as recorded (for the
 * reconciler, or because someone else finished it first).
 */
interface CallOutResult {
  readonly recorded: PaymentRow;
  readonly outcome?: ChargeOutcome | undefined;
}

/**
 * Risk, then the order, then PROCESSING, then the channel. A risk rejection or a failed step
 * before the charge ends the payment with nothing sent. (The saga deliberately ignores the
 * caller hanging up: a started payment is always finished.)
 */
async function callOut(
  context: GatewayContext,
  pending: PaymentRow,
  payment: ValidPayment,
  actor: string,
): Promise<CallOutResult> {
  const { merchantId, channel } = pending;

  let riskScore: number;
  try {
    const risk = await sagaStep(context, "risk", () =>
      context.clients.risk.assess({
        merchantId,
        ...payment.price,
        customer: payment.customer.reveal(),
        paymentMethod: payment.paymentMethod.reveal(),
        paymentId: pending.id,
      }),
    );
    riskScore = risk.score;
    if (risk.decision === RiskDecision.REJECT) {
      const rejected = failure("risk_rejected", risk.reasons.join(", "));
      return { recorded: pending, outcome: { kind: "not_charged", failure: rejected, riskScore } };
    }
  } catch (error) {
    return failedBeforeCharge(context, pending, "risk", error);
  }

  let orderId: string;
  try {
    const { order } = await sagaStep(context, "order", () =>
      context.clients.order.createOrder({
        merchantId,
        merchantOrderNo: payment.merchantOrderNo,
        ...payment.price,
        description: payment.description,
      }),
    );
    orderId = order?.id ?? "";
  } catch (error) {
    return failedBeforeCharge(context, pending, "order", error);
  }

  // From here the channel may charge: PROCESSING first, so a crash leaves it to the reconciler.
  const manual = payment.captureMethod === "MANUAL";
  const processing = await paymentRepository.markProcessing(
    context.db,
    pending.id,
    { orderId, riskScore, at: context.clock.now() },
    { reason: manual ? "order created; authorizing" : "order created; charging", actor },
  );
  if (!processing) return { recorded: await abandoned(context, pending, orderId) };
  context.metrics.payments.inc({ status: "PROCESSING", channel, currency: pending.currency });

  // A charge, or only a hold for manual capture; the payment id is the idempotency key.
  const order = {
    idempotencyKey: pending.id,
    channel,
    merchantId,
    ...payment.price,
    paymentMethod: payment.paymentMethod.reveal(),
    description: payment.description,
  };
  try {
    if (manual) {
      const { authorization } = await sagaStep(context, "authorize", () =>
        context.clients.channel.authorize(order),
      );
      return { recorded: processing, outcome: authorizeOutcome(authorization) };
    }
    const { charge } = await sagaStep(context, "charge", () =>
      context.clients.channel.charge(order),
    );
    return { recorded: processing, outcome: chargeOutcome(charge) };
  } catch (error) {
    const unsent = unsentCallFailure(error);
    return {
      recorded: processing,
      outcome: unsent && { kind: "not_charged", failure: unsent },
    };
  }
}

/** Persists the outcome, with the saga's one policy for a write that fails ({@link persistResult}). */
function persistPaymentResult(
  context: GatewayContext,
  { recorded, outcome }: CallOutResult,
  actor: string,
): Promise<PaymentRow> {
  if (!outcome) return Promise.resolve(recorded);
  return persistResult(context, recorded, () =>
    finishPayment(context, recorded.id, outcome, actor),
  );
}

/** A step before the charge failed: nothing was sent to the channel, so the payment fails. */
function failedBeforeCharge(
  context: GatewayContext,
  pending: PaymentRow,
  step: string,
  error: unknown,
): CallOutResult {
  const why = failureBeforeCharge(step, error);
  context.logger.warn(
    { payment_id: pending.id, step, failure_code: why.code, err: error },
    "payment failed before the charge",
  );
  return { recorded: pending, outcome: { kind: "not_charged", failure: why } };
}

/**
 * The payment left PENDING before the charge (CancelPayment, or the reconciler failing it, got
 * there first): nothing will be sent, so the order this saga just created is cancelled too.
 */
async function abandoned(
  context: GatewayContext,
  pending: PaymentRow,
  orderId: string,
): Promise<PaymentRow> {
  const payment = await paymentRepository.find(context.db, pending.merchantId, pending.id);
  if (!payment) throw new Error(`payment ${pending.id} vanished`);
  if (orderId && payment.orderId === null) {
    const cancelling = await outboxRepository.enqueue(
      context.db,
      [outboxEvents.orderCancelled({ ...payment, orderId }, `payment ${payment.status}`)],
      context.clock.now(),
      { heldForMs: context.outbox.holdMs },
    );
    context.outbox.deliver(cancelling);
  }
  return payment;
}

function respond(payment: PaymentRow): CreatePaymentResponse {
  return create(CreatePaymentResponseSchema, { payment: paymentMessage(payment) });
}
